import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { assign } from './assign.js';
import { bucketOf, variantOfBucket } from './buckets.js';
import type { Experiment } from './config.js';

const experiment = (weights: readonly number[], name = 'checkout'): Experiment => ({
  name,
  enabled: true,
  hosts: [],
  paths: ['/*'],
  unit: 'vid',
  variants: weights.map((weight, i) => ({ name: i === 0 ? 'control' : `v${i}`, weight })),
  goals: [],
});

const units = (n: number) => Array.from({ length: n }, (_, i) => `visitor-${i}`);

describe('assignment', () => {
  it('spreads 100,000 units within ±1% of the weights', () => {
    for (const weights of [[50, 50], [90, 10], [34, 33, 33], [40, 20, 20, 20]]) {
      const exp = experiment(weights);
      const counts = new Map<string, number>();
      for (const u of units(100_000)) {
        const v = assign(exp, u);
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      exp.variants.forEach((v) => expect(Math.abs((counts.get(v.name) ?? 0) / 1000 - v.weight), `${v.name} of ${weights.join('/')}`).toBeLessThan(1));
    }
  });

  it('gives a unit the same variant in another process', async () => {
    const exp = experiment([50, 25, 25]);
    const ids = units(500);
    const here = ids.map((u) => assign(exp, u));
    const child = join(import.meta.dirname, '../../test/experiments-assign.child.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, JSON.stringify(exp), JSON.stringify(ids)], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual(here);
    // Not a constant: the test would pass for an assigner that ignores the unit.
    expect(new Set(here).size).toBe(3);
  });

  it('keeps every unit of a treatment in it when the treatment ramps up', () => {
    const ramps = [[90, 10], [80, 20], [50, 50]];
    let before = new Map(units(50_000).map((u) => [u, assign(experiment(ramps[0] ?? []), u)]));
    for (const weights of ramps.slice(1)) {
      const after = new Map(units(50_000).map((u) => [u, assign(experiment(weights), u)]));
      for (const [u, v] of before) if (v !== 'control') expect(after.get(u)).toBe(v);
      before = after;
    }
  });

  it('moves nobody between treatments when one of several ramps', () => {
    const a = experiment([60, 20, 20]);
    const b = experiment([30, 50, 20]);
    for (const u of units(50_000)) {
      const was = assign(a, u);
      const now = assign(b, u);
      if (was === 'v1') expect(now).toBe('v1');
      if (was === 'v2') expect(now).toBe('v2');
    }
  });

  it('depends on the salt: two experiments assign independently', () => {
    const same = units(20_000).filter((u) => assign(experiment([50, 50], 'a'), u) === assign(experiment([50, 50], 'b'), u)).length;
    expect(Math.abs(same / 20_000 - 0.5)).toBeLessThan(0.02);
  });

  it('maps buckets onto lanes: a 0% treatment gets nobody, a full lane everybody of it', () => {
    const v = experiment([50, 50, 0]).variants;
    expect(variantOfBucket(v, 0).name).toBe('v1');
    expect(variantOfBucket(v, 1).name).toBe('control');
    expect(variantOfBucket(experiment([0, 100]).variants, 9999).name).toBe('v1');
    expect(bucketOf('s', 'u')).toBe(bucketOf('s', 'u'));
    expect(bucketOf('s', 'u')).toBeLessThan(10_000);
  });
});
