/**
 * Exponential backoff with jitter for publish retries: `min`, doubling up to `max`, plus up to 20% so that
 * gateways restarted together do not retry in lockstep against a recovering bus.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure and returns how long to wait before the next try. */
  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.round(base * (1 + 0.2 * this.random()));
  }

  reset(): void {
    this.failures = 0;
  }
}
