import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

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
