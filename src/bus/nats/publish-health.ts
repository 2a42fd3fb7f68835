/**
 * Whether this process's events are reaching the stream, from what the publisher already saw (no request is
 * made: `/readyz` answers from this in microseconds, also during a partition), and the PubAck timeout, which
 * follows the measured ack latency.
 *
 * Ready means: no publish failed since the last acknowledged one, and no batch has waited longer than
 * `staleMs` for its acks. An idle gateway that publishes nothing counts as reaching the stream while connected.
 */
export class PublishHealth {
  private failingSince: number | undefined;
  private failure = '';
  private lastAck = 0;
  /** Smoothed PubAck latency of whole batches (ms), as TCP smooths its round-trip time (RFC 6298, alpha 1/8). */
  private srtt: number | undefined;
  private readonly waiting = new Map<number, number>();
  private nextWait = 0;

  constructor(
    private readonly limits: { readonly minTimeoutMs: number; readonly maxTimeoutMs: number; readonly staleMs: number },
  ) {}

  /**
   * Bound on one batch's PubAcks: four times the smoothed latency plus a second, within [min, max]. A short bound
   * re-sends sooner after a lost ack (the re-send is deduplicated); the max is the old fixed 5 s.
   */
  timeoutMs(): number {
    const { minTimeoutMs, maxTimeoutMs } = this.limits;
    if (this.srtt === undefined) return maxTimeoutMs;
    return Math.round(Math.min(maxTimeoutMs, Math.max(minTimeoutMs, 4 * this.srtt + 1_000)));
  }

  /** A batch was sent; returns a token for `settled`. */
  sent(now = Date.now()): number {
    const token = ++this.nextWait;
    this.waiting.set(token, now);
    return token;
  }

  settled(token: number, ok: boolean, why: string, now = Date.now()): void {
    const at = this.waiting.get(token);
    this.waiting.delete(token);
    if (ok) {
      if (at !== undefined) {
        const rtt = now - at;
        this.srtt = this.srtt === undefined ? rtt : this.srtt + (rtt - this.srtt) / 8;
      }
      this.lastAck = now;
      this.failingSince = undefined;
      return;
    }
    this.failed(why, now);
  }

  /**
   * One pack of a batch still waiting was acknowledged: the stream is taking this process's events, if slowly (on
   * a lossy link part of a batch can be acknowledged and the rest time out). Progress for `lastAckAt`; readiness
   * still waits for a whole batch.
   */
  packAcked(now = Date.now()): void {
    this.lastAck = now;
  }

  /** A publish failed before anything was sent (disconnected, the stream could not be read). */
  failed(why: string, now = Date.now()): void {
    this.failingSince ??= now;
    this.failure = why;
  }

  /** Milliseconds publishes have been failing (or waiting past `staleMs`), 0 when they are not. */
  failingForMs(now = Date.now()): number {
    const since = Math.min(this.failingSince ?? Infinity, this.oldestWait() + this.limits.staleMs);
    return since <= now ? now - since : 0;
  }

  /** Why publishes are not reaching the stream, or undefined while they are. */
  problem(now = Date.now()): string | undefined {
    if (this.failingSince !== undefined) return `publishes failing for ${now - this.failingSince} ms: ${this.failure}`;
    const oldest = this.oldestWait();
    if (now - oldest > this.limits.staleMs) return `no PubAck for ${now - oldest} ms`;
    return undefined;
  }

  get maxTimeoutMs(): number {
    return this.limits.maxTimeoutMs;
  }

  /** Epoch ms of the last PubAck, of a whole batch or of one of its packs (0: none yet). */
  get lastAckAt(): number {
    return this.lastAck;
  }

  private oldestWait(): number {
    // Map order is insertion order: the first entry is the oldest batch still waiting.
    for (const at of this.waiting.values()) return at;
    return Infinity;
  }
}
