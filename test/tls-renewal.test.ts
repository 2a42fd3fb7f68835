import { afterEach, describe, expect, it, vi } from 'vitest';
import { RenewalScheduler, type RenewalTarget } from '../src/tls/renewal.js';

const MINUTE = 60_000;
const timing = { checkInterval: 12 * 60 * MINUTE, retry: { minDelay: MINUTE, maxDelay: 5 * MINUTE } };

function target(renew: (name: string) => Promise<void>) {
  const failed: { name: string; attempt: number; retryInMs: number }[] = [];
  const dueNames = new Set(['a.gatehouse.internal']);
  const t: RenewalTarget = {
    names: ['a.gatehouse.internal'],
    due: (name) => dueNames.has(name),
    renew: async (name) => {
      await renew(name);
      dueNames.delete(name);
    },
    failed: (name, _err, attempt, retryInMs) => failed.push({ name, attempt, retryInMs }),
  };
  return { t, failed };
}

describe('renewal scheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('doubles the wait after each failure, up to maxDelay', () => {
    const { t, failed } = target(async () => undefined);
    const scheduler = new RenewalScheduler(t, timing, () => 0);
    for (let i = 0; i < 5; i++) scheduler.fail('a.gatehouse.internal', new Error('boom'));
    expect(failed.map((f) => f.retryInMs)).toEqual([1, 2, 4, 5, 5].map((m) => m * MINUTE));
    expect(scheduler.failures('a.gatehouse.internal')?.failures).toBe(5);
    scheduler.succeeded('a.gatehouse.internal');
    expect(scheduler.failures('a.gatehouse.internal')).toBeUndefined();
  });

  it('retries a failing renewal when its backoff is over, without an unhandled rejection', async () => {
    vi.useFakeTimers({ now: 0 });
    let calls = 0;
    const { t, failed } = target(async () => {
      calls += 1;
      if (calls < 3) throw new Error(`CA unavailable (${calls})`);
    });
    const scheduler = new RenewalScheduler(t, timing, () => Date.now());
    scheduler.start();
    await scheduler.idle();
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(MINUTE); // first backoff
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(2 * MINUTE); // doubled
    expect(calls).toBe(3);
    expect(failed.map((f) => f.attempt)).toEqual([1, 2]);
    expect(scheduler.failures('a.gatehouse.internal')).toBeUndefined();
    // Renewed and no longer due: the next checks do nothing.
    await vi.advanceTimersByTimeAsync(timing.checkInterval * 2);
    expect(calls).toBe(3);
    await scheduler.close();
  });

  it('stops checking once closed', async () => {
    vi.useFakeTimers({ now: 0 });
    let calls = 0;
    const { t } = target(async () => {
      calls += 1;
      throw new Error('always');
    });
    const scheduler = new RenewalScheduler(t, timing, () => Date.now());
    scheduler.start();
    await scheduler.idle();
    expect(calls).toBe(1);
    await scheduler.close();
    await vi.advanceTimersByTimeAsync(timing.checkInterval * 2);
    expect(calls).toBe(1);
  });
});
