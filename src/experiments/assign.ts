import type { Experiment } from './config.js';
import { bucketOf, variantOfBucket } from './buckets.js';

/** One experiment's verdict for one unit. `override`: set by `?gh_variant=` (QA), never counted in results. */
export interface Assignment {
  readonly experiment: string;
  readonly variant: string;
  readonly unit: string;
  readonly override: boolean;
}

/** The experiment is assigning at this time. */
export function isActive(exp: Experiment, now: number): boolean {
  if (!exp.enabled) return false;
  if (exp.start && now < Date.parse(exp.start)) return false;
  return !(exp.end && now >= Date.parse(exp.end));
}

/** The variant of a unit: a pure function of the salt, the unit id and the variants (see buckets.ts). */
export function assign(exp: Experiment, unit: string): string {
  return variantOfBucket(exp.variants, bucketOf(exp.salt ?? exp.name, unit)).name;
}

/**
 * The overrides asked by `?gh_variant=exp:variant` (several separated by ","; the parameter may repeat). Only
 * names of configured experiments and their variants are kept: anything else is ignored, not an error, so a
 * stale QA link still serves the page.
 */
export function parseOverrides(raw: string | readonly string[] | undefined, experiments: readonly Experiment[]): Map<string, string> {
  const out = new Map<string, string>();
  const values = raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw;
  for (const value of values) {
    for (const pair of value.split(',')) {
      const [name, variant] = pair.split(':');
      const exp = experiments.find((e) => e.name === name);
      if (exp && variant && exp.variants.some((v) => v.name === variant)) out.set(exp.name, variant);
    }
  }
  return out;
}
