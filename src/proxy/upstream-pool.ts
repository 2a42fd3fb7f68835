/**
 * Round-robin over a route's upstreams. An upstream that failed to connect is left out until its
 * `retryAfterFailure` has passed, then it is simply tried again (a passive health check: no probe traffic).
 */
export class UpstreamPool {
  private readonly downUntil: number[];
  private next = 0;

  constructor(
    readonly upstreams: readonly string[],
    private readonly retryAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.downUntil = upstreams.map(() => 0);
  }

  /** The next upstream in turn that is not marked down, or undefined when all are down. */
  pick(): string | undefined {
    const n = this.upstreams.length;
    const now = this.now();
    for (let i = 0; i < n; i++) {
      const index = (this.next + i) % n;
      if ((this.downUntil[index] ?? 0) <= now) {
        this.next = (index + 1) % n;
        return this.upstreams[index];
      }
    }
    return undefined;
  }

  /** Takes `upstream` out of the rotation; true when it was up until now (so the transition is reported once). */
  markDown(upstream: string): boolean {
    const index = this.upstreams.indexOf(upstream);
    if (index < 0) return false;
    const now = this.now();
    const wasUp = (this.downUntil[index] ?? 0) <= now;
    this.downUntil[index] = now + this.retryAfterMs;
    return wasUp;
  }

  /** How many upstreams are currently in the rotation. */
  available(): number {
    const now = this.now();
    return this.downUntil.filter((t) => t <= now).length;
  }
}
