import { describe, expect, it } from 'vitest';
import { UpstreamPool } from './upstream-pool.js';

describe('UpstreamPool', () => {
  it('rotates over every upstream', () => {
    const pool = new UpstreamPool(['a', 'b', 'c'], 1000, () => 0);
    expect([pool.pick(), pool.pick(), pool.pick(), pool.pick()]).toEqual(['a', 'b', 'c', 'a']);
  });

  it('skips a down upstream until retryAfter has passed', () => {
    let now = 0;
    const pool = new UpstreamPool(['a', 'b'], 1000, () => now);
    expect(pool.markDown('a')).toBe(true);
    expect(pool.markDown('a')).toBe(false);
    expect([pool.pick(), pool.pick()]).toEqual(['b', 'b']);
    now = 1000;
    expect(new Set([pool.pick(), pool.pick()])).toEqual(new Set(['a', 'b']));
  });

  it('gives nothing when every upstream is down', () => {
    const pool = new UpstreamPool(['a'], 1000, () => 0);
    pool.markDown('a');
    expect(pool.pick()).toBeUndefined();
    expect(pool.available()).toBe(0);
  });
});
