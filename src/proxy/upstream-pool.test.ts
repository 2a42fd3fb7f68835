import { describe, expect, it } from 'vitest';
import { UpstreamPool, type PickContext } from './upstream-pool.js';

const origins = (pool: UpstreamPool, n: number, context: PickContext = {}) => Array.from({ length: n }, () => pool.pick(context)?.origin);
const counts = (list: (string | undefined)[]) => list.reduce<Record<string, number>>((acc, o) => ((acc[o ?? '-'] = (acc[o ?? '-'] ?? 0) + 1), acc), {});

describe('UpstreamPool', () => {
  it('rotates over every upstream', () => {
    const pool = new UpstreamPool(['a', 'b', 'c'], { retryAfterMs: 1000, now: () => 0 });
    expect(origins(pool, 4)).toEqual(['a', 'b', 'c', 'a']);
  });

  it('skips a down upstream until retryAfter has passed', () => {
    let now = 0;
    const pool = new UpstreamPool(['a', 'b'], { retryAfterMs: 1000, now: () => now });
    expect(pool.markDown('a')).toBe(true);
    expect(pool.markDown('a')).toBe(false);
    expect(origins(pool, 2)).toEqual(['b', 'b']);
    now = 1000;
    expect(new Set(origins(pool, 2))).toEqual(new Set(['a', 'b']));
  });

  it('gives nothing when every upstream is down or unhealthy', () => {
    const pool = new UpstreamPool(['a', 'b'], { retryAfterMs: 1000, now: () => 0 });
    pool.markDown('a');
    pool.setHealthy(pool.upstreams[1]!, false);
    expect(pool.pick()).toBeUndefined();
    expect(pool.available()).toBe(0);
  });

  it('spreads by weight, smoothly', () => {
    const pool = new UpstreamPool([{ origin: 'a', weight: 5 }, 'b', 'c'], { retryAfterMs: 1000 });
    expect(origins(pool, 7)).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
    expect(counts(origins(pool, 700))).toEqual({ a: 500, b: 100, c: 100 });
  });

  it('least_conn picks the upstream with fewest requests in flight', () => {
    const pool = new UpstreamPool(['a', 'b', 'c'], { retryAfterMs: 1000, policy: 'least_conn' });
    pool.upstreams[0]!.inFlight = 2;
    pool.upstreams[1]!.inFlight = 1;
    expect(origins(pool, 3)).toEqual(['c', 'c', 'c']);
  });

  it('ip_hash keeps a client on one upstream and moves only the clients of one that left', () => {
    const pool = new UpstreamPool(['a', 'b', 'c'], { retryAfterMs: 1000, policy: 'ip_hash' });
    const ips = Array.from({ length: 300 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const before = ips.map((ip) => pool.pick({ clientIp: () => ip })?.origin);
    expect(ips.map((ip) => pool.pick({ clientIp: () => ip })?.origin)).toEqual(before);
    for (const n of Object.values(counts(before))) expect(n).toBeGreaterThan(60);
    pool.setHealthy(pool.upstreams[2]!, false);
    const after = ips.map((ip) => pool.pick({ clientIp: () => ip })?.origin);
    ips.forEach((_, i) => {
      if (before[i] !== 'c') expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe('c');
    });
  });

  it('prefers upstreams under the connection cap', () => {
    const pool = new UpstreamPool(['a', 'b'], { retryAfterMs: 1000, maxConnections: 1 });
    pool.upstreams[0]!.inFlight = 1;
    expect(origins(pool, 3)).toEqual(['b', 'b', 'b']);
    pool.upstreams[1]!.inFlight = 1;
    expect(new Set(origins(pool, 4))).toEqual(new Set(['a', 'b']));
  });

  it('cookie: a valid pin wins, an unknown one falls back to the rotation', () => {
    const pool = new UpstreamPool(['a', 'b'], { retryAfterMs: 1000, policy: 'cookie' });
    const b = pool.upstreams[1]!;
    expect(origins(pool, 3, { sticky: b.id })).toEqual(['b', 'b', 'b']);
    expect(new Set(origins(pool, 2, { sticky: 'forged' }))).toEqual(new Set(['a', 'b']));
    pool.markDown('b');
    expect(pool.pick({ sticky: b.id })?.origin).toBe('a');
  });
});
