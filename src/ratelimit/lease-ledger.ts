import type { LimitedClass, RateLimitConfig } from './config.js';
import { sameRule, seconds } from './limiters.js';
import { windowOf, type LeaseGrant, type LeaseRequest, type Returned } from './leases.js';

/** Asks worker `slot` to give back what it has not spent of a client's window. */
export type Reclaim = (slot: number, request: LeaseRequest) => Promise<Returned>;

interface Account {
  /** Tokens nobody holds. */
  available: number;
  /** By slot: tokens leased and possibly not spent yet (an upper bound). */
  readonly outstanding: number[];
  /** When the window ends (epoch ms). */
  readonly end: number;
}

/** Accounts are dropped this long after their window ended (a late ask near the boundary still finds its own). */
const SWEEP_EVERY_MS = 1_000;

/**
 * The primary's side of shared limits (see leases.ts and lease-limiter.ts). A worker asks only once its share or
 * lease of a client's window is spent. The first ask of a window takes back the other workers' unspent shares;
 * then the rest is leased in chunks of `available / (2 × workers)`, so a busy client costs one message per chunk
 * and, near the limit, tokens are not left idle on a worker the client no longer reaches. When the sustained
 * window is spent, leases still held elsewhere are taken back, then the burst allowance is leased the same way;
 * refusal comes only when both are spent and nothing is held elsewhere. Asks of one client are answered in order.
 */
export class LeaseLedger {
  private readonly accounts = new Map<string, Account>();
  private readonly bursts = new Map<string, Account>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private nextSweep = 0;

  constructor(
    private config: RateLimitConfig,
    private readonly workers: number,
    private readonly reclaim: Reclaim,
  ) {}

  /**
   * The rules of a reloaded config. A class whose rule is unchanged keeps its accounts, as the workers keep their
   * side of them (LeaseEntries in lease-limiter.ts), so a reload is no way around a limit; a changed rule starts
   * afresh on both sides: an account of the old rule would lend tokens the new one does not have.
   */
  reconfigure(config: RateLimitConfig): void {
    const previous = this.config;
    this.config = config;
    for (const map of [this.accounts, this.bursts]) {
      for (const id of map.keys()) {
        const cls = id.slice(0, id.indexOf('\n')) as LimitedClass;
        if (!sameRule(previous.rules[cls], config.rules[cls])) map.delete(id);
      }
    }
  }

  /** Client windows with an open account (sustained and burst). */
  get size(): number {
    return this.accounts.size + this.bursts.size;
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
    const now = Date.now();
    this.sweep(now);
    const id = `${request.cls}\n${request.key}\n${request.window}`;
    let account = this.accounts.get(id);
    if (!account) {
      const share = Math.floor(rule.points / this.workers);
      const end = (request.window + 1) * seconds(rule.duration) * 1000;
      account = { available: rule.points - share * this.workers, outstanding: new Array<number>(this.workers).fill(0), end };
      this.accounts.set(id, account);
      // The asking worker spent its share; the others give back what they did not.
      await this.takeBack(request, this.others(slot, () => true), account);
    }
    const main = account;
    if (main.available === 0) await this.takeBack(request, this.others(slot, (i) => (main.outstanding[i] ?? 0) > 0), main);
    if (main.available > 0) return { tokens: this.lend(main, slot), burst: 0, burstEnd: 0, retryAt: 0 };
    main.outstanding[slot] = 0;
    if (rule.burst === 0) return { tokens: 0, burst: 0, burstEnd: 0, retryAt: main.end };

    const burst = this.burstAccount(request.cls, request.key, now);
    if (burst.available === 0) {
      await this.takeBack(request, this.others(slot, (i) => (burst.outstanding[i] ?? 0) > 0), main);
      // Those workers gave back their sustained tokens too: spent first, as in one process.
      if (main.available > 0) return { tokens: this.lend(main, slot), burst: 0, burstEnd: 0, retryAt: 0 };
    }
    if (burst.available > 0) return { tokens: 0, burst: this.lend(burst, slot), burstEnd: burst.end, retryAt: 0 };
    burst.outstanding[slot] = 0;
    return { tokens: 0, burst: 0, burstEnd: 0, retryAt: Math.min(main.end, burst.end) };
  }

  /** Leases a chunk to `slot`, which asked because it had spent what it held of this account. */
  private lend(account: Account, slot: number): number {
    const tokens = Math.min(account.available, Math.max(1, Math.floor(account.available / (2 * this.workers))));
    account.available -= tokens;
    // The asking request spends one token at once.
    account.outstanding[slot] = tokens - 1;
    return tokens;
  }

  private burstAccount(cls: LimitedClass, key: string, now: number): Account {
    const rule = this.config.rules[cls];
    const burstMs = seconds(rule.burstWindow) * 1000;
    const end = (windowOf(now, burstMs) + 1) * burstMs;
    const id = `${cls}\n${key}\n${end}`;
    let account = this.bursts.get(id);
    if (!account) this.bursts.set(id, (account = { available: rule.burst, outstanding: new Array<number>(this.workers).fill(0), end }));
    return account;
  }

  private others(slot: number, keep: (i: number) => boolean): number[] {
    const slots: number[] = [];
    for (let i = 0; i < this.workers; i++) if (i !== slot && keep(i)) slots.push(i);
    return slots;
  }

  /** Reclaims from `slots`: sustained tokens go back to `main`, burst tokens to the burst window they came from. */
  private async takeBack(request: LeaseRequest, slots: readonly number[], main: Account): Promise<void> {
    if (slots.length === 0) return;
    const returned = await Promise.all(slots.map((i) => this.reclaim(i, request)));
    returned.forEach((r, n) => {
      const slot = slots[n] as number;
      main.available += r.tokens;
      main.outstanding[slot] = 0;
      const burst = r.burstEnd > 0 ? this.bursts.get(`${request.cls}\n${request.key}\n${r.burstEnd}`) : undefined;
      if (burst) {
        burst.available += r.burst;
        burst.outstanding[slot] = 0;
      }
    });
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_EVERY_MS;
    for (const map of [this.accounts, this.bursts]) for (const [id, a] of map) if (a.end + SWEEP_EVERY_MS <= now) map.delete(id);
  }
}
