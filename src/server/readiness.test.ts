import { describe, expect, it } from 'vitest';
import { Readiness } from './readiness.js';
import { down, up, type Health } from '../lifecycle/health.js';

describe('readiness', () => {
  it('starts not ready, is ready once running with healthy checks, and not ready from the first moment of shutdown', async () => {
    const r = new Readiness([{ name: 'bus', check: async () => up() }], 0);
    expect(await r.report()).toMatchObject({ ready: false, phase: 'starting' });
    r.markRunning();
    expect(await r.report()).toMatchObject({ ready: true, phase: 'running', checks: { bus: { status: 'up' } } });
    r.markStopping();
    expect(await r.report()).toMatchObject({ ready: false, phase: 'stopping' });
  });

  it('is not ready while a dependency is down, and says which; a throwing check counts as down', async () => {
    let bus: Health = down('no connection');
    const r = new Readiness(
      [
        { name: 'bus', check: async () => bus },
        { name: 'store', check: async () => Promise.reject(new Error('file locked')) },
      ],
      0,
    );
    r.markRunning();
    expect(await r.report()).toMatchObject({ ready: false, checks: { bus: { reason: 'no connection' }, store: { reason: 'file locked' } } });
    bus = up();
    expect((await r.report()).checks.bus).toEqual({ status: 'up' });
  });

  it('caches a report briefly so probes do not hammer dependencies', async () => {
    let calls = 0;
    const r = new Readiness([{ name: 'bus', check: async () => (calls++, up()) }], 1_000);
    r.markRunning();
    await r.report(10_000);
    await r.report(10_500);
    expect(calls).toBe(1);
    await r.report(11_001);
    expect(calls).toBe(2);
  });
});
