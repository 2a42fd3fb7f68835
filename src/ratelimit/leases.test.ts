import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { LIMITED_CLASSES, type RateLimitConfig } from './config.js';
import { buildLeaseLimiters, LeaseEntries } from './lease-limiter.js';
import { LeaseLedger } from './lease-ledger.js';
import { NOTHING_RETURNED, type LeaseRequest, type Returned } from './leases.js';
import type { ClassLimiter } from './limiters.js';

const rule = (points: number, burst: number) => ({ points, burst, duration: 1_000, burstWindow: 10_000, key: 'ip' as const });

function configOf(points: number, burst: number): RateLimitConfig {
  const rules = Object.fromEntries(LIMITED_CLASSES.map((c) => [c, rule(0, 0)]));
  return { enabled: true, store: 'memory', allowCidrs: [], ipv6Prefix: 64, redis: { url: '', keyPrefix: 'x' }, rules: { ...rules, tracking: rule(points, burst) } } as unknown as RateLimitConfig;
}

/**
 * `workers` limiters sharing one ledger, wired in-process the way the IPC links them (answers come later).
 * `reload` builds every worker's limiters again from a config, as a reload does, keeping what each keeps.
 */
function cluster(workers: number, points: number, burst: number) {
  const config = configOf(points, burst);
  const reclaimers: ((r: LeaseRequest) => Returned)[] = [];
  const calls = { lease: 0, reclaim: 0 };
  const later = () => new Promise<void>((resolve) => setImmediate(resolve));
  const ledger = new LeaseLedger(config, workers, async (slot, request) => {
    calls.reclaim += 1;
    await later();
    return reclaimers[slot]?.(request) ?? NOTHING_RETURNED;
  });
  const kept = Array.from({ length: workers }, () => new LeaseEntries());
  const build = (c: RateLimitConfig): ClassLimiter[] =>
    Array.from({ length: workers }, (_, slot) => {
      const built = buildLeaseLimiters(
        c,
        {
          workers,
          lease: async (request) => {
            calls.lease += 1;
            await later();
            return ledger.lease(slot, request);
          },
          onReclaim: () => undefined,
        },
        kept[slot],
      );
      reclaimers[slot] = (r) => built.reclaim(r);
      const limiter = built.limiters.get('tracking');
      if (!limiter) throw new Error('no tracking limiter');
      return limiter;
    });
  let limiters = build(config);
  const check = async (slot: number, key = 'client') => (await limiters[slot % workers]?.check(key))?.allowed;
  const reload = (c: RateLimitConfig) => {
    ledger.reconfigure(c);
    limiters = build(c);
  };
  return { check, calls, ledger, reload };
}

describe('limits shared by workers through leases', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('whatever worker takes each request, a client gets exactly points + burst in a window, the first ones', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 5_000_000 });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 40 }),
        // Runs of requests on one worker: a client's keep-alive connection stays on one, then it reconnects.
        fc.array(fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 30 })), { minLength: 1, maxLength: 6 }),
        async (workers, points, burst, runs) => {
          const slots = runs.flatMap(([slot, n]) => Array.from({ length: n }, () => slot));
          const { check } = cluster(workers, Math.max(points, 1), burst);
          const limit = Math.max(points, 1) + burst;
          const verdicts: (boolean | undefined)[] = [];
          for (const slot of slots) verdicts.push(await check(slot));
          expect(verdicts).toEqual(slots.map((_, i) => i < limit));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a reload that leaves the rule as it was keeps the count: still exactly points + burst in the window; a new rule starts afresh', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 5_000_000 });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.nat(3), { minLength: 1, maxLength: 80 }),
        fc.nat(80),
        async (workers, points, burst, slots, at) => {
          const { check, reload } = cluster(workers, points, burst);
          const verdicts: (boolean | undefined)[] = [];
          for (const [i, slot] of slots.entries()) {
            if (i === at) reload(configOf(points, burst));
            verdicts.push(await check(slot));
          }
          expect(verdicts).toEqual(slots.map((_, i) => i < points + burst));
          // Another rule: counted from nothing.
          reload(configOf(points + 1, burst));
          const after: (boolean | undefined)[] = [];
          for (const slot of slots) after.push(await check(slot));
          expect(after).toEqual(slots.map((_, i) => i < points + 1 + burst));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('leases left on a worker the client no longer reaches are taken back before the client is refused', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 5_500_000 });
    const { check } = cluster(2, 40, 0);
    const verdicts: (boolean | undefined)[] = [];
    for (let i = 0; i < 23; i++) verdicts.push(await check(0));
    for (let i = 0; i < 27; i++) verdicts.push(await check(1));
    expect(verdicts).toEqual(verdicts.map((_, i) => i < 40));
  });

  it('burst leases are taken back too, and the burst lasts its own window across sustained ones', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 5_600_000 });
    const { check } = cluster(2, 4, 40);
    const run = async (slot: number, n: number) => {
      let allowed = 0;
      for (let i = 0; i < n; i++) if (await check(slot)) allowed += 1;
      return allowed;
    };
    // 4 + 40 in the first second, whichever worker the client reaches after a while on the first one.
    expect((await run(0, 25)) + (await run(1, 30))).toBe(44);
    // The next sustained window: its 4, but the burst window (10 s) is spent.
    vi.setSystemTime(5_601_000);
    expect((await run(1, 3)) + (await run(0, 10))).toBe(4);
    // A new burst window.
    vi.setSystemTime(5_610_000);
    expect((await run(0, 30)) + (await run(1, 30))).toBe(44);
  });

  it('concurrent requests on every worker: exactly points + burst allowed', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 6_000_000 });
    const { check } = cluster(3, 50, 10);
    const verdicts = await Promise.all(Array.from({ length: 200 }, (_, i) => check(i % 3)));
    expect(verdicts.filter(Boolean)).toHaveLength(60);
    // The next window starts afresh (the burst window of 10 s is spent).
    vi.setSystemTime(6_001_000);
    const next = await Promise.all(Array.from({ length: 100 }, (_, i) => check(i % 3)));
    expect(next.filter(Boolean)).toHaveLength(50);
  });

  it('a client under its share on each worker costs no message; other clients have their own count', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 7_000_000 });
    const { check, calls } = cluster(2, 100, 0);
    for (let i = 0; i < 100; i++) expect(await check(i)).toBe(true);
    expect(calls).toEqual({ lease: 0, reclaim: 0 });
    expect(await check(0)).toBe(false);
    expect(await check(0, 'another')).toBe(true);
  });

  it('a client on one worker gets the whole limit: the idle worker gives its share back, refusals are then local', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 8_000_000 });
    const { check, calls } = cluster(4, 100, 0);
    const verdicts: (boolean | undefined)[] = [];
    for (let i = 0; i < 150; i++) verdicts.push(await check(0));
    expect(verdicts.filter(Boolean)).toHaveLength(100);
    expect(verdicts.slice(0, 100).every(Boolean)).toBe(true);
    // Leases shrink near the limit, but a busy client costs far fewer messages than requests.
    expect(calls.lease).toBeLessThan(40);
    const before = calls.lease;
    for (let i = 0; i < 20; i++) expect(await check(0)).toBe(false);
    expect(calls.lease).toBe(before);
  });

  it('forgets windows that are over', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 9_000_000 });
    const { check, ledger } = cluster(2, 2, 0);
    for (let i = 0; i < 15; i++) await check(i, `c${i % 5}`);
    expect(ledger.size).toBe(5);
    vi.setSystemTime(9_003_000);
    for (let i = 0; i < 4; i++) await check(i, 'late');
    expect(ledger.size).toBe(1);
  });
});
