import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildLimiters, RateCounters, WindowCounter, type Decision } from './limiters.js';
import { LIMITED_CLASSES, type RateLimitConfig } from './config.js';

const rule = (points: number, burst: number) => ({
  points,
  duration: 1_000,
  burst,
  burstWindow: 10_000,
  key: 'ip' as const,
});

function limiterFor(points: number, burst: number) {
  const config = {
    enabled: true,
    store: 'memory',
    allowCidrs: [],
    redis: { url: 'redis://127.0.0.1:1', keyPrefix: 'x' },
    rules: { tracking: rule(points, burst) },
  } as unknown as RateLimitConfig;
  const limiter = buildLimiters({ ...config, rules: { ...emptyRules(), ...config.rules } }).get('tracking');
  if (!limiter) throw new Error('no tracking limiter');
  return (key: string) => limiter.check(key) as Decision;
}

function emptyRules() {
  return Object.fromEntries(LIMITED_CLASSES.map((c) => [c, rule(0, 0)]));
}

describe('in-memory limiter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('allows points a window, then the burst, then refuses until the earlier window resets', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const check = limiterFor(2, 1);
    expect([check('a'), check('a'), check('a')].every((d) => d.allowed)).toBe(true);
    const refused = check('a');
    expect(refused).toEqual({ allowed: false, limit: 2, remaining: 0, resetS: 1, policy: '2;w=1' });
    // Other clients have their own windows.
    expect(check('b').allowed).toBe(true);
    // A new sustained window: two more, but the burst (10 s window) is spent.
    vi.advanceTimersByTime(1_000);
    expect([check('a'), check('a')].every((d) => d.allowed)).toBe(true);
    const again = check('a');
    expect(again.allowed).toBe(false);
    expect(again.allowed === false && again.resetS).toBe(1);
  });

  it('without a burst, refuses past points and says when the window resets', () => {
    vi.useFakeTimers({ now: 2_000_000 });
    const check = limiterFor(1, 0);
    expect(check('a').allowed).toBe(true);
    vi.advanceTimersByTime(400);
    const refused = check('a');
    expect(refused.allowed === false && refused.resetS).toBe(1);
    vi.advanceTimersByTime(600);
    expect(check('a').allowed).toBe(true);
  });

  it('sweeps expired windows, so idle clients do not stay in memory', () => {
    const counter = new WindowCounter(1_000);
    for (let i = 0; i < 100; i++) counter.take(`client-${i}`, 0);
    expect(counter.size).toBe(100);
    counter.take('late', 1_500);
    expect(counter.size).toBe(1);
  });
});

describe('rate counts across configs (a reload)', () => {
  const configWith = (tracking: ReturnType<typeof rule>) =>
    ({
      enabled: true,
      store: 'memory',
      allowCidrs: [],
      redis: { url: 'redis://127.0.0.1:1', keyPrefix: 'x' },
      rules: { ...emptyRules(), tracking },
    }) as unknown as RateLimitConfig;
  const allowedOf = (counters: RateCounters, tracking: ReturnType<typeof rule>, n: number) => {
    const limiter = buildLimiters(configWith(tracking), undefined, counters).get('tracking');
    return Array.from({ length: n }, () => (limiter?.check('a') as Decision).allowed);
  };

  it('keeps a client\'s count while the window stays, applies a new limit to it, and starts anew when the window or the limit goes', () => {
    const counters = new RateCounters();
    const minute = { ...rule(2, 0), duration: 60_000 };
    expect(allowedOf(counters, minute, 3)).toEqual([true, true, false]);
    // Same window, so the count (3) carries over: a limit of 4 leaves one more.
    expect(allowedOf(counters, { ...minute, points: 4 }, 2)).toEqual([true, false]);
    // Turned off, then on again: a fresh count.
    allowedOf(counters, { ...minute, points: 0 }, 0);
    expect(allowedOf(counters, minute, 3)).toEqual([true, true, false]);
    // Another window length: another count.
    expect(allowedOf(counters, { ...minute, duration: 120_000 }, 3)).toEqual([true, true, false]);
  });
});

