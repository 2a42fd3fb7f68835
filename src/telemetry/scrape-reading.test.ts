import { describe, expect, it } from 'vitest';
import { ScrapeReading } from './scrape-reading.js';

/** A read the test settles by hand. */
function pendingRead() {
  let resolve: (n: number) => void = () => undefined;
  const promise = new Promise<number>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ScrapeReading', () => {
  it('answers with the last value while a read hangs, and the hanging read serves a later scrape', async () => {
    const reads: Array<ReturnType<typeof pendingRead>> = [];
    const reading = new ScrapeReading(() => {
      const r = pendingRead();
      if (reads.length === 0) r.resolve(1);
      reads.push(r);
      return r.promise;
    }, 10);
    expect(await reading.current()).toBe(1);
    // The second read never settles within the wait: the scrape still answers, with the last value.
    expect(await reading.current()).toBe(1);
    expect(await reading.current()).toBe(1);
    expect(reads).toHaveLength(2); // one read at a time: the third scrape joined the second's read
    reads[1]?.resolve(2);
    await reads[1]?.promise;
    expect(await reading.current()).toBe(2);
  });

  it('keeps the last value when a read fails, sync or async', async () => {
    const outcomes: Array<() => Promise<number>> = [
      async () => 5,
      () => {
        throw new Error('not started');
      },
      async () => {
        throw new Error('timeout');
      },
    ];
    const reading = new ScrapeReading(() => (outcomes.shift() as () => Promise<number>)(), 1_000);
    expect(await reading.current()).toBe(5);
    expect(await reading.current()).toBe(5);
    expect(await reading.current()).toBe(5);
  });

  it('has no value before a first read succeeds', async () => {
    const reading = new ScrapeReading(() => new Promise<number>(() => undefined), 10);
    expect(await reading.current()).toBeUndefined();
  });
});
