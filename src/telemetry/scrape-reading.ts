/**
 * How long a scrape waits for a value read from somewhere else (the bus). A JetStream API call across a
 * partition only fails at its own timeout (5 s); a scrape that waited for it would take as long, and every
 * other metric of that endpoint with it. A healthy cluster answers in milliseconds; a read that misses the
 * wait is not lost but serves the next scrape, so a gauge is at most one scrape old.
 */
export const SCRAPE_WAIT_MS = 250;

/**
 * A value read at scrape time from something that may not answer promptly. One read runs at a time; a scrape
 * waits for it at most `waitMs` and otherwise answers with the last value read, and a read still running then
 * serves a later scrape. A failed read keeps the last value.
 */
export class ScrapeReading<T> {
  private last: T | undefined;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly waitMs = SCRAPE_WAIT_MS,
  ) {}

  async current(): Promise<T | undefined> {
    const reading = (this.reading ??= Promise.resolve()
      .then(this.read)
      .then(
        (value) => {
          this.last = value;
        },
        () => undefined,
      )
      .finally(() => {
        this.reading = undefined;
      }));
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.waitMs);
    });
    try {
      await Promise.race([reading, waited]);
    } finally {
      clearTimeout(timer);
    }
    return this.last;
  }
}
