import { describe, expect, it } from 'vitest';
import { PublishHealth } from './publish-health.js';

const limits = { minTimeoutMs: 2_000, maxTimeoutMs: 5_000, staleMs: 3_000 };

describe('PublishHealth', () => {
  it('is healthy until a publish fails, and again after the next acknowledged batch', () => {
    const h = new PublishHealth(limits);
    expect(h.problem(0)).toBeUndefined();
    const t = h.sent(100);
    h.settled(t, false, 'no PubAck within 5000 ms', 5_100);
    expect(h.problem(6_100)).toBe('publishes failing for 1000 ms: no PubAck within 5000 ms');
    expect(h.failingForMs(6_100)).toBe(1_000);
    h.settled(h.sent(7_000), true, '', 7_050);
    expect(h.problem(7_100)).toBeUndefined();
    expect(h.lastAckAt).toBe(7_050);
  });

  it('turns unhealthy while a batch waits longer than staleMs, before its timeout ends it', () => {
    const h = new PublishHealth(limits);
    h.sent(1_000);
    expect(h.problem(3_900)).toBeUndefined();
    expect(h.problem(4_100)).toBe('no PubAck for 3100 ms');
    expect(h.failingForMs(4_100)).toBe(100);
  });

  it('times out after four smoothed round trips plus a second, within its bounds', () => {
    const h = new PublishHealth(limits);
    expect(h.timeoutMs()).toBe(5_000); // nothing measured yet
    h.settled(h.sent(0), true, '', 10);
    expect(h.timeoutMs()).toBe(2_000); // 4 x 10 + 1000 is under the floor
    for (let i = 0; i < 40; i++) h.settled(h.sent(0), true, '', 900);
    // The smoothed latency approaches 900 ms (alpha 1/8): the bound approaches 4 x 900 + 1000.
    expect(h.timeoutMs()).toBeGreaterThan(4_550);
    expect(h.timeoutMs()).toBeLessThanOrEqual(4_600);
    for (let i = 0; i < 40; i++) h.settled(h.sent(0), true, '', 3_000);
    expect(h.timeoutMs()).toBe(5_000);
  });

  it('counts a pack acknowledged out of a waiting batch as a PubAck, but stays not ready until a whole batch is', () => {
    const h = new PublishHealth(limits);
    h.settled(h.sent(0), false, 'no PubAck within 2000 ms', 2_000);
    h.sent(2_100);
    h.packAcked(2_500);
    expect(h.lastAckAt).toBe(2_500);
    expect(h.problem(2_600)).toBe('publishes failing for 600 ms: no PubAck within 2000 ms');
  });

  it('counts a failure before anything was sent', () => {
    const h = new PublishHealth(limits);
    h.failed('disconnected', 500);
    expect(h.problem(800)).toBe('publishes failing for 300 ms: disconnected');
  });
});
