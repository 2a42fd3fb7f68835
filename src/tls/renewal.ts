import { backoffDelay } from '../lifecycle/backoff.js';

/** What the scheduler needs from its owner: which names are due, and how to renew one. */
export interface RenewalTarget {
  names: readonly string[];
  due(name: string, now: number): boolean;
  /** Obtains and installs a certificate; throws on failure. */
  renew(name: string): Promise<void>;
  failed(name: string, err: unknown, attempt: number, retryInMs: number): void;
}

export interface RenewalTiming {
  checkInterval: number;
  retry: { minDelay: number; maxDelay: number };
}

const MAX_TIMER_MS = 2 ** 31 - 1;

interface Backoff {
  failures: number;
  nextAttemptAt: number;
  lastError: unknown;
}

/**
 * The background renewal loop. Every `checkInterval` (or sooner, when a retry falls due) it renews each due name, one at
 * a time. A failure never escapes: the name waits `minDelay`, doubling per failure up to `maxDelay`, while the old
 * certificate keeps being served. The timer is unref'd so it never keeps the process alive on its own.
 */
export class RenewalScheduler {
  private readonly backoff = new Map<string, Backoff>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly target: RenewalTarget,
    private readonly timing: RenewalTiming,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues a first pass at once (so `idle()` called next waits for it), then keeps checking. */
  start(): void {
    this.tick();
  }

  /** Resolves when every renewal queued so far has finished. */
  idle(): Promise<void> {
    return this.exclusive(async () => undefined);
  }

  /** Runs `task` after any renewal in progress, so two orders for one name never overlap. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The failure state of a name, or undefined when its last attempt succeeded. */
  failures(name: string): { failures: number; nextAttemptAt: Date; lastError: unknown } | undefined {
    const b = this.backoff.get(name);
    return b && { failures: b.failures, nextAttemptAt: new Date(b.nextAttemptAt), lastError: b.lastError };
  }

  succeeded(name: string): void {
    this.backoff.delete(name);
  }

  /** Records a failure and returns how long until the next attempt. */
  fail(name: string, err: unknown): number {
    const failures = (this.backoff.get(name)?.failures ?? 0) + 1;
    const { minDelay, maxDelay } = this.timing.retry;
    const delay = backoffDelay({ minMs: minDelay, maxMs: maxDelay }, failures - 1);
    this.backoff.set(name, { failures, nextAttemptAt: this.now() + delay, lastError: err });
    this.target.failed(name, err, failures, delay);
    return delay;
  }

  /** Stops the loop and waits for a renewal in progress to finish. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.queue;
  }

  private tick(): void {
    void this.exclusive(() => this.pass())
      .catch(() => undefined) // pass() handles renewal failures; this only guards against a throwing target
      .finally(() => this.schedule(this.nextDelay()));
  }

  private schedule(delay: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    // Node fires timers longer than 2^31-1 ms at once; a long checkInterval simply checks in about 24 days.
    this.timer = setTimeout(() => this.tick(), Math.min(delay, MAX_TIMER_MS));
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    for (const name of this.target.names) {
      if (this.closed) return;
      const now = this.now();
      if (!this.target.due(name, now) || (this.backoff.get(name)?.nextAttemptAt ?? 0) > now) continue;
      try {
        await this.target.renew(name);
        this.succeeded(name);
      } catch (err) {
        this.fail(name, err);
      }
    }
  }

  private nextDelay(): number {
    const now = this.now();
    let next = this.timing.checkInterval;
    for (const b of this.backoff.values()) next = Math.min(next, Math.max(0, b.nextAttemptAt - now));
    return next;
  }
}
