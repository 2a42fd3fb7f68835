import { describe, expect, it } from 'vitest';
import { sampleRatio, twoProportionZ, wilson } from './stats.js';

describe('experiment statistics, against values computed by hand', () => {
  it('Wilson interval', () => {
    // x = 100, n = 1000, z = 1.959964: p = 0.1, z² = 3.841459;
    // center = (0.1 + 3.841459/2000) / (1 + 3.841459/1000) = 0.101920730 / 1.003841459 = 0.101530694;
    // half = 1.959964 · sqrt(0.09/1000 + 3.841459/4e6) / 1.003841459 = 1.959964 · sqrt(0.0000909604) / 1.003841459
    //      = 1.959964 · 0.009537316 / 1.003841459 = 0.018621;
    // interval = [0.082910, 0.120152].
    const ci = wilson(100, 1000);
    expect(ci.low).toBeCloseTo(0.08291, 4);
    expect(ci.high).toBeCloseTo(0.120152, 4);
    // x = 0, n = 10: center = (3.841459/20)/(1.3841459) = 0.138767, half the same: [0, 0.277533].
    expect(wilson(0, 10).low).toBe(0);
    expect(wilson(0, 10).high).toBeCloseTo(0.277533, 4);
  });

  it('two-proportion z-test (pooled), two-sided', () => {
    // control 100/1000, treatment 130/1000: p̂ = 230/2000 = 0.115; se = sqrt(0.115 · 0.885 · 0.002) = sqrt(0.00020355)
    // = 0.0142671; z = 0.03 / 0.0142671 = 2.10274; Φ(2.10274) = 0.982256; p = 2 · (1 - 0.982256) = 0.035488.
    const t = twoProportionZ(100, 1000, 130, 1000);
    expect(t?.z).toBeCloseTo(2.10274, 4);
    expect(t?.p).toBeCloseTo(0.03549, 4);
    // Same rates: z = 0, p = 1.
    expect(twoProportionZ(50, 500, 100, 1000)).toEqual({ z: 0, p: 1 });
    expect(twoProportionZ(0, 10, 0, 10)).toBeUndefined();
    expect(twoProportionZ(1, 0, 1, 10)).toBeUndefined();
  });

  it('sample-ratio mismatch (chi-square against the weights)', () => {
    // 50/50 expected 1000/1000, got 1060/940: chi² = 60²/1000 + 60²/1000 = 7.2, df 1; p = erfc(sqrt(3.6)) = 0.00729:
    // suspicious but above 0.001, not flagged.
    const mild = sampleRatio([1060, 940], [50, 50]);
    expect(mild?.chi2).toBeCloseTo(7.2, 6);
    expect(mild?.p).toBeCloseTo(0.00729, 4);
    expect(mild?.mismatch).toBe(false);
    // 10,000 units at 50/50 split 5200/4800: chi² = 200²/5000 · 2 = 16, p = erfc(sqrt(8)) = 6.334e-5: flagged.
    const broken = sampleRatio([5200, 4800], [50, 50]);
    expect(broken?.chi2).toBeCloseTo(16, 6);
    expect(broken?.p).toBeCloseTo(6.334e-5, 7);
    expect(broken?.mismatch).toBe(true);
    // 90/10 with exactly 900/100: chi² = 0, p = 1. Three arms 34/33/33 (total 1000): expected 340, 330, 330;
    // got 340, 330, 330: chi² = 0, df = 2.
    expect(sampleRatio([900, 100], [90, 10])).toMatchObject({ chi2: 0, p: 1, mismatch: false });
    expect(sampleRatio([340, 330, 330], [34, 33, 33])).toMatchObject({ chi2: 0, df: 2 });
    // A 0% arm expects nobody and is left out.
    expect(sampleRatio([500, 500, 0], [50, 50, 0])).toMatchObject({ df: 1 });
  });
});
