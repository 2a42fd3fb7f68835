import type { Experiment } from './config.js';
import type { ExperimentCounts, ExperimentQuery } from './counts.js';
import { CONFIDENCE, SRM_ALPHA, sampleRatio, twoProportionZ, wilson, type Interval, type SampleRatio } from './stats.js';

export interface GoalResult {
  readonly conversions: number;
  readonly rate: number;
  /** Wilson score interval of the rate. */
  readonly interval: Interval;
  /** (rate - control rate) / control rate; null for the control, or when the control's rate is 0. */
  readonly lift: number | null;
  /** Two-proportion z-test against the control (pooled, two-sided); null for the control or when undefined. */
  readonly z: number | null;
  readonly p: number | null;
}

export interface VariantResult {
  readonly name: string;
  readonly weight: number;
  readonly control: boolean;
  readonly units: number;
  readonly goals: Readonly<Record<string, GoalResult>>;
}

export interface ExperimentResult {
  readonly name: string;
  readonly enabled: boolean;
  readonly unit: Experiment['unit'];
  readonly method: string;
  readonly variants: readonly VariantResult[];
  readonly sampleRatio: (SampleRatio & { readonly alpha: number }) | null;
  readonly excluded: ExperimentCounts['excluded'];
}

export const METHOD = `rates with ${CONFIDENCE * 100}% Wilson score intervals; each variant against the control by a two-sided two-proportion z-test (pooled); sample-ratio mismatch by Pearson's chi-square on units against the weights, flagged below p = ${SRM_ALPHA}`;

/** The query a store answers for this experiment. */
export function experimentQuery(exp: Experiment): ExperimentQuery {
  return { experiment: exp.name, key: exp.unit === 'sid' ? 'sid' : 'vid', goals: exp.goals, ...(exp.start ? { since: new Date(exp.start) } : {}) };
}

/** The statistics of one experiment from its counts; the first variant is the control. */
export function experimentResult(exp: Experiment, counts: ExperimentCounts): ExperimentResult {
  const unitsOf = (name: string) => counts.units[name] ?? 0;
  const convOf = (goal: string, name: string) => counts.conversions[goal]?.[name] ?? 0;
  const control = exp.variants[0]?.name ?? '';
  const variants = exp.variants.map((v, i): VariantResult => {
    const n = unitsOf(v.name);
    const goals: Record<string, GoalResult> = {};
    for (const g of exp.goals) {
      const x = convOf(g.name, v.name);
      const rate = n === 0 ? 0 : x / n;
      const n0 = unitsOf(control);
      const rate0 = n0 === 0 ? 0 : convOf(g.name, control) / n0;
      const test = i === 0 ? undefined : twoProportionZ(convOf(g.name, control), n0, x, n);
      goals[g.name] = {
        conversions: x,
        rate,
        interval: wilson(x, n),
        lift: i === 0 || rate0 === 0 ? null : (rate - rate0) / rate0,
        z: test?.z ?? null,
        p: test?.p ?? null,
      };
    }
    return { name: v.name, weight: v.weight, control: i === 0, units: n, goals };
  });
  const srm = sampleRatio(
    exp.variants.map((v) => unitsOf(v.name)),
    exp.variants.map((v) => v.weight),
  );
  return {
    name: exp.name,
    enabled: exp.enabled,
    unit: exp.unit,
    method: METHOD,
    variants,
    sampleRatio: srm ? { ...srm, alpha: SRM_ALPHA } : null,
    excluded: counts.excluded,
  };
}
