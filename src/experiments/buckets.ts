import { createHash } from 'node:crypto';
import type { ExperimentVariant } from './config.js';

/** Units are hashed into this many buckets; a weight of 0.01% is one bucket. */
export const BUCKETS = 10_000;

/**
 * The bucket of a unit in an experiment: the first 48 bits of SHA-256(salt ":" unit), modulo 10,000. No state:
 * every gateway and worker computes the same bucket for the same unit. (2^48 mod 10,000 leaves a bias below 1e-10.)
 */
export function bucketOf(salt: string, unit: string): number {
  return createHash('sha256').update(`${salt}:${unit}`).digest().readUIntBE(0, 6) % BUCKETS;
}

/**
 * The variant owning a bucket, such that raising a variant's weight never moves a unit already in it.
 *
 * The first variant is the control; the other n-1 (the treatments) each own a lane: the buckets b with
 * b mod (n-1) = its index. A treatment with weight w% holds the first w·100 buckets of its lane, in order
 * (rank = floor(b / (n-1))); every bucket not held by a treatment is the control's. Raising a treatment's
 * weight only appends buckets of its own lane, taken from the control; lowering it gives its last buckets
 * back to the control; no treatment ever takes from another. So a lane holds at most 10,000/(n-1) buckets,
 * and a treatment's weight is at most 100/(n-1)% (validated). Changing the number of variants, their order
 * or the salt reshuffles everyone: that is a new experiment.
 */
export function variantOfBucket(variants: readonly ExperimentVariant[], bucket: number): ExperimentVariant {
  const control = variants[0];
  if (!control) throw new RangeError('an experiment needs variants');
  const lanes = variants.length - 1;
  if (lanes === 0) return control;
  const treatment = variants[1 + (bucket % lanes)];
  const rank = Math.floor(bucket / lanes);
  return treatment && rank < Math.round(treatment.weight * 100) ? treatment : control;
}

/** The largest weight a treatment may have among `count` variants (see variantOfBucket). */
export function maxTreatmentWeight(count: number): number {
  return count <= 1 ? 100 : Math.floor(BUCKETS / (count - 1)) / 100;
}
