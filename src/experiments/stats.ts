import jStat from 'jstat';

/** 95% two-sided. */
export const CONFIDENCE = 0.95;
const Z = jStat.normal.inv(1 - (1 - CONFIDENCE) / 2, 0, 1);
/** A sample-ratio mismatch is flagged below this p-value (the usual threshold: a real mismatch, not chance). */
export const SRM_ALPHA = 0.001;

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/**
 * Wilson score interval of a proportion x/n (Wilson 1927): unlike the normal ("Wald") interval it stays
 * inside [0, 1] and keeps its coverage for small n and rates near 0 or 1, which conversion rates often are.
 */
export function wilson(x: number, n: number, z = Z): Interval {
  if (n === 0) return { low: 0, high: 0 };
  const p = x / n;
  const z2 = z * z;
  const center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

export interface ZTest {
  readonly z: number;
  readonly p: number;
}

/**
 * Two-proportion z-test with the pooled proportion (H0: both rates equal), two-sided: z = (p2 - p1) / se,
 * se = sqrt(p̂(1 - p̂)(1/n1 + 1/n2)), p̂ = (x1 + x2)/(n1 + n2); p = 2(1 - Φ(|z|)). Undefined when it cannot be
 * computed (an empty arm, or no variance: every unit or none converted).
 */
export function twoProportionZ(x1: number, n1: number, x2: number, n2: number): ZTest | undefined {
  if (n1 === 0 || n2 === 0) return undefined;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return undefined;
  const z = (x2 / n2 - x1 / n1) / se;
  return { z, p: 2 * (1 - jStat.normal.cdf(Math.abs(z), 0, 1)) };
}

export interface SampleRatio {
  readonly chi2: number;
  readonly df: number;
  readonly p: number;
  /** p < SRM_ALPHA: the split is broken (assignment, redirects, bots or lost exposures); do not trust the results. */
  readonly mismatch: boolean;
}

/**
 * Sample-ratio mismatch: Pearson's chi-square goodness of fit of the exposure counts against the configured
 * weights, df = arms with a weight - 1. Arms of weight 0 are left out (they expect nobody).
 */
export function sampleRatio(counts: readonly number[], weights: readonly number[]): SampleRatio | undefined {
  const total = counts.reduce((s, c) => s + c, 0);
  const weightSum = weights.reduce((s, w) => s + w, 0);
  const arms = counts.map((c, i) => ({ c, w: weights[i] ?? 0 })).filter((a) => a.w > 0);
  if (total === 0 || arms.length < 2) return undefined;
  const chi2 = arms.reduce((s, a) => {
    const expected = (total * a.w) / weightSum;
    return s + (a.c - expected) ** 2 / expected;
  }, 0);
  const df = arms.length - 1;
  const p = 1 - jStat.chisquare.cdf(chi2, df);
  return { chi2, df, p, mismatch: p < SRM_ALPHA };
}
