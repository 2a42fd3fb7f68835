import type { Health } from '../lifecycle/health.js';

export interface Check {
  readonly name: string;
  check(): Promise<Health>;
}

export type ReadinessReport = { ready: boolean; phase: Phase; checks: Record<string, Health>; config?: { hash: string } };
type Phase = 'starting' | 'running' | 'stopping';

/**
 * `/readyz`: not ready while starting, when any dependency is down, and from the first moment of shutdown,
 * so load balancers stop sending before the listener closes. Results are cached briefly: a probe storm
 * must not become a health-check storm against NATS or the store.
 */
export class Readiness {
  private phase: Phase = 'starting';
  private cached?: { at: number; report: ReadinessReport };
  private configHash?: string;

  constructor(
    private readonly checks: readonly Check[],
    private readonly cacheMs = 1_000,
  ) {}

  markRunning(): void {
    this.phase = 'running';
    this.cached = undefined;
  }

  markStopping(): void {
    this.phase = 'stopping';
    this.cached = undefined;
  }

  /** The SHA-256 of the running config file, shown in the report: which config a process serves after a reload. */
  setConfigHash(hash: string): void {
    this.configHash = hash;
    this.cached = undefined;
  }

  get stopping(): boolean {
    return this.phase === 'stopping';
  }

  async report(now = Date.now()): Promise<ReadinessReport> {
    if (this.cached && now - this.cached.at < this.cacheMs && this.cached.report.phase === this.phase) {
      return this.cached.report;
    }
    const results = await Promise.all(
      this.checks.map(async (c) => [c.name, await c.check().catch((err: Error): Health => ({ status: 'down', reason: err.message }))] as const),
    );
    const checks = Object.fromEntries(results);
    const ready = this.phase === 'running' && results.every(([, h]) => h.status === 'up');
    const report = { ready, phase: this.phase, checks, ...(this.configHash ? { config: { hash: this.configHash } } : {}) };
    this.cached = { at: now, report };
    return report;
  }
}
