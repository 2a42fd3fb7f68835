/**
 * The one backoff of the project: every retry loop (spool forwarder, consumer redelivery, NATS pull loop,
 * destinations, worker restarts, bus start, certificate renewal) waits `minMs` doubled per failure up to `maxMs`,
 * plus up to `jitter` (a fraction) at random, so processes that failed together do not retry in lockstep.
 */
export interface BackoffPolicy {
  readonly minMs: number;
  readonly maxMs: number;
  /** Up to this fraction of the wait is added at random (0.2: up to 20%); 0 or absent: none. */
  readonly jitter?: number;
}

/** The wait before retry number `retry` (0: after the first failure). */
export function backoffDelay(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.minMs * 2 ** Math.min(Math.max(0, retry), 30));
  const jitter = policy.jitter ?? 0;
  return jitter === 0 ? base : Math.round(base * (1 + jitter * random()));
}

/** A backoff that counts its own consecutive failures; for publish retries it adds up to 20% jitter. */
export class Backoff {
  private failures = 0;
  private readonly policy: BackoffPolicy;

  constructor(
    minMs: number,
    maxMs: number,
    private readonly random: () => number = Math.random,
    jitter = 0.2,
  ) {
    this.policy = { minMs, maxMs, jitter };
  }

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure and returns how long to wait before the next try. */
  next(): number {
    return backoffDelay(this.policy, this.failures++, this.random);
  }

  reset(): void {
    this.failures = 0;
  }
}
