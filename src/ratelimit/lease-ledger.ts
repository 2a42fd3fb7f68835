import type { LimitedClass, RateLimitConfig } from './config.js';
import { seconds } from './limiters.js';
import { windowOf, type LeaseGrant, type LeaseRequest } from './leases.js';

/** Asks worker `slot` to give back what it has not spent of a client's window; resolves with the tokens. */
export type Reclaim = (slot: number, request: LeaseRequest) => Promise<number>;

interface Account {
  /** Tokens of the window nobody holds. */
  available: number;
  /** By slot: tokens leased and possibly not spent yet (an upper bound). */
  readonly outstanding: number[];
  readonly end: number;
}

interface BurstAccount {
  used: number;
  readonly end: number;
}

/** Accounts are dropped this long after their window ended (a late ask near the boundary still finds its own). */
const SWEEP_EVERY_MS = 1_000;

/**
 * The primary's side of shared limits (see leases.ts and lease-limiter.ts). A worker asks only once its share or
 * lease of a client's window is spent. The first ask of a window takes back the other workers' unspent shares;
 * then the rest is leased in chunks of `available / (2 × workers)`, so a busy client costs one message per chunk
 * and, near the limit, tokens are not left idle on a worker the client no longer reaches. When nothing is left,
 * the leases still held elsewhere are taken back before the burst allowance is used, one token per ask, and
 * refusal comes only when both are spent. Asks of one client are answered in order.
 */
export class LeaseLedger {
  private readonly accounts = new Map<string, Account>();
  private readonly bursts = new Map<string, BurstAccount>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private nextSweep = 0;

  constructor(
    private readonly config: RateLimitConfig,
    private readonly workers: number,
    private readonly reclaim: Reclaim,
  ) {}

  /** Clients with an open account (for tests and metrics). */
  get size(): number {
    return this.accounts.size;
  }

  lease(slot: number, request: LeaseRequest): Promise<LeaseGrant> {
    const client = `${request.cls}\n${request.key}`;
    const previous = this.queues.get(client) ?? Promise.resolve();
    const answer = previous.then(() => this.grant(slot, request));
    const tail = answer.catch(() => undefined);
    this.queues.set(client, tail);
    void tail.then(() => {
      if (this.queues.get(client) === tail) this.queues.delete(client);
    });
    return answer;
  }

  private async grant(slot: number, request: LeaseRequest): Promise<LeaseGrant> {
    const rule = this.config.rules[request.cls];
    const durationMs = seconds(rule.duration) * 1000;
    const now = Date.now();
    this.sweep(now);
    const id = `${request.cls}\n${request.window}\n${request.key}`;
    let account = this.accounts.get(id);
    if (!account) {
      const share = Math.floor(rule.points / this.workers);
      account = { available: rule.points - share * this.workers, outstanding: new Array<number>(this.workers).fill(0), end: (request.window + 1) * durationMs };
      this.accounts.set(id, account);
      // The asking worker spent its share; the others give back what they did not.
      account.available += await this.takeBack(request, this.slotsBut(slot, () => true));
    }
    if (account.available === 0) {
      const holders = this.slotsBut(slot, (i) => (account.outstanding[i] ?? 0) > 0);
      for (const i of holders) account.outstanding[i] = 0;
      account.available += await this.takeBack(request, holders);
    }
    if (account.available > 0) {
      const tokens = Math.min(account.available, Math.max(1, Math.floor(account.available / (2 * this.workers))));
      account.available -= tokens;
      // The worker asked because it had spent its lease; the asking request spends one token of this one.
      account.outstanding[slot] = tokens - 1;
      return { tokens, retryAt: 0 };
    }
    account.outstanding[slot] = 0;
    return this.burst(request.cls, request.key, now, account.end);
  }

  /** Over `points`: one token of the burst allowance per ask (never leased: it is the exception). */
  private burst(cls: LimitedClass, key: string, now: number, windowEnd: number): LeaseGrant {
    const rule = this.config.rules[cls];
    if (rule.burst === 0) return { tokens: 0, retryAt: windowEnd };
    const burstMs = seconds(rule.burstWindow) * 1000;
    const window = windowOf(now, burstMs);
    const id = `${cls}\n${window}\n${key}`;
    let account = this.bursts.get(id);
    if (!account) this.bursts.set(id, (account = { used: 0, end: (window + 1) * burstMs }));
    if (account.used < rule.burst) {
      account.used += 1;
      return { tokens: 1, retryAt: 0 };
    }
    return { tokens: 0, retryAt: Math.min(windowEnd, account.end) };
  }

  private slotsBut(slot: number, keep: (i: number) => boolean): number[] {
    const slots: number[] = [];
    for (let i = 0; i < this.workers; i++) if (i !== slot && keep(i)) slots.push(i);
    return slots;
  }

  private async takeBack(request: LeaseRequest, slots: readonly number[]): Promise<number> {
    if (slots.length === 0) return 0;
    const returned = await Promise.all(slots.map((i) => this.reclaim(i, request)));
    return returned.reduce((sum, n) => sum + n, 0);
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_EVERY_MS;
    for (const [id, a] of this.accounts) if (a.end + SWEEP_EVERY_MS <= now) this.accounts.delete(id);
    for (const [id, a] of this.bursts) if (a.end + SWEEP_EVERY_MS <= now) this.bursts.delete(id);
  }
}
