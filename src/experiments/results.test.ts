import { describe, expect, it } from 'vitest';
import type { Experiment } from './config.js';
import { experimentResult } from './results.js';

const exp: Experiment = {
  name: 'checkout',
  enabled: true,
  hosts: [],
  paths: ['/checkout/*'],
  unit: 'vid',
  variants: [
    { name: 'control', weight: 50 },
    { name: 'b', weight: 50 },
  ],
  goals: [{ name: 'purchase', ename: 'purchase' }],
};

describe('experiment results from fixed counts', () => {
  it('gives rates, intervals, lift and the z-test against the control', () => {
    const r = experimentResult(exp, { units: { control: 1000, b: 1000 }, conversions: { purchase: { control: 100, b: 130 } }, excluded: { override: 1, moved: 0, bots: 2 } });
    const [control, b] = r.variants;
    expect(control?.goals.purchase).toMatchObject({ conversions: 100, rate: 0.1, lift: null, z: null, p: null });
    // Lift by hand: (0.13 - 0.10) / 0.10 = 0.3; z and p as in stats.test.ts (2.10274, 0.03549).
    expect(b?.goals.purchase?.lift).toBeCloseTo(0.3, 10);
    expect(b?.goals.purchase?.z).toBeCloseTo(2.10274, 4);
    expect(b?.goals.purchase?.p).toBeCloseTo(0.03549, 4);
    expect(r.sampleRatio).toMatchObject({ chi2: 0, mismatch: false });
    expect(r.excluded).toEqual({ override: 1, moved: 0, bots: 2 });
  });

  it('flags a broken split and survives empty arms', () => {
    expect(experimentResult(exp, { units: { control: 5200, b: 4800 }, conversions: {}, excluded: { override: 0, moved: 0, bots: 0 } }).sampleRatio?.mismatch).toBe(true);
    const empty = experimentResult(exp, { units: {}, conversions: {}, excluded: { override: 0, moved: 0, bots: 0 } });
    expect(empty.sampleRatio).toBeNull();
    expect(empty.variants[1]?.goals.purchase).toMatchObject({ rate: 0, lift: null, p: null, interval: { low: 0, high: 0 } });
  });
});
