import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from './backoff.js';

describe('Backoff', () => {
  it('doubles from min to max and resets', () => {
    const b = new Backoff(100, 5_000, () => 0);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1600, 3200, 5000]);
    expect(b.attempts).toBe(7);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('adds at most 20% jitter', () => {
    const b = new Backoff(100, 5_000, () => 0.999);
    expect(b.next()).toBeLessThanOrEqual(120);
    expect(b.next()).toBeGreaterThan(200);
  });
});

describe('backoffDelay', () => {
  it('doubles per retry up to the cap, without jitter unless asked', () => {
    const policy = { minMs: 50, maxMs: 1_000 };
    expect([0, 1, 2, 3, 4, 5, 40].map((r) => backoffDelay(policy, r))).toEqual([50, 100, 200, 400, 800, 1_000, 1_000]);
    expect(backoffDelay(policy, -1)).toBe(50);
  });

  it('adds up to the jitter fraction', () => {
    expect(backoffDelay({ minMs: 100, maxMs: 1_000, jitter: 0.5 }, 0, () => 0.999)).toBe(150);
    expect(backoffDelay({ minMs: 100, maxMs: 1_000, jitter: 0.5 }, 0, () => 0)).toBe(100);
  });
});
