import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors.js';
import { parseConfig } from '../settings/load.js';

const exp = (over: Record<string, unknown> = {}) => ({
  name: 'checkout',
  paths: ['/checkout/*'],
  variants: [
    { name: 'control', weight: 50 },
    { name: 'b', weight: 50 },
  ],
  goals: [{ name: 'purchase', ename: 'purchase' }],
  ...over,
});

function issues(list: unknown[]): string[] {
  try {
    parseConfig({ experiments: { list } }, 'test', {});
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

describe('experiments config', () => {
  it('accepts a complete experiment and fills the defaults', () => {
    const c = parseConfig({ experiments: { list: [exp()] } }, 'test', {});
    expect(c.experiments.list[0]).toMatchObject({ enabled: true, unit: 'vid', hosts: [] });
    expect(c.experiments.allowOverride).toBe(false);
  });

  it('reports weights that do not add up to 100, duplicate names, a bad goal and an end before the start', () => {
    const got = issues([
      exp({
        variants: [
          { name: 'control', weight: 50 },
          { name: 'control', weight: 40 },
        ],
        goals: [{ name: 'g', ename: 'x', field: 'etyp' }],
        start: '2026-12-02T00:00:00Z',
        end: '2026-12-01T00:00:00Z',
      }),
    ]);
    expect(got).toEqual([
      '/experiments/list/0/variants: the weights add up to 90, not 100',
      '/experiments/list/0/variants/1/name: another variant of this experiment has this name',
      '/experiments/list/0/end: must be after start',
      '/experiments/list/0/goals/0: "field" and "equals" go together',
    ]);
  });

  it('refuses a treatment above its lane (100/(n-1)%)', () => {
    const got = issues([exp({ variants: [{ name: 'control', weight: 0 }, { name: 'b', weight: 60 }, { name: 'c', weight: 40 }] })]);
    expect(got).toEqual([expect.stringMatching(/^\/experiments\/list\/0\/variants\/1\/weight: with 3 variants a treatment holds at most 50%/)]);
  });

  it('refuses two enabled experiments on one path, not on separate hosts or paths', () => {
    expect(issues([exp(), exp({ name: 'pricing', paths: ['/checkout/pay'] })])).toEqual([
      expect.stringMatching(/^\/experiments\/list\/0\/paths: overlaps experiment "pricing" on \/checkout\/\*/),
    ]);
    expect(issues([exp(), exp({ name: 'pricing', paths: ['/pricing'] })])).toEqual([]);
    expect(issues([exp({ hosts: ['a.example.com'] }), exp({ name: 'pricing', hosts: ['b.example.com'] })])).toEqual([]);
    expect(issues([exp({ hosts: ['*.example.com'] }), exp({ name: 'pricing', hosts: ['b.example.com'] })])).toHaveLength(1);
    expect(issues([exp(), exp({ name: 'pricing', enabled: false })])).toEqual([]);
  });

  it('refuses a header or cookie name that already means something else', () => {
    const problems = (experiments: Record<string, unknown>) => {
      try {
        parseConfig({ experiments: { list: [exp()], ...experiments } }, 'test', {});
        return [];
      } catch (e) {
        return (e as ConfigError).issues.map((i) => i.path);
      }
    };
    expect(problems({ header: 'cookie' })).toEqual(['/experiments/header']);
    expect(problems({ header: 'x-forwarded-for' })).toEqual(['/experiments/header']);
    expect(problems({ cookie: 'vid' })).toEqual(['/experiments/cookie']);
    expect(problems({ userCookie: 'gh_exp' })).toEqual(['/experiments/userCookie']);
    expect(problems({ header: 'x-variant', cookie: 'ab' })).toEqual([]);
  });

  it('refuses names that could not travel in a header or cookie', () => {
    expect(issues([exp({ name: 'a b' })])[0]).toMatch(/^\/experiments\/list\/0\/name/);
  });
});
