import type { ConfigIssue } from '../config/errors.js';
import type { ExperimentsConfig } from './config.js';
import { maxTreatmentWeight } from './buckets.js';
import { hostsOverlap, pathsOverlap } from './match.js';

// Request headers the gateway, the proxy or the upstream read for something else: the assignments header may not be one.
const RESERVED_HEADERS = new Set(['host', 'cookie', 'authorization', 'connection', 'upgrade', 'content-length', 'content-type', 'transfer-encoding', 'forwarded', 'x-request-id']);

/**
 * Rules the schema cannot say: weights, times, goals, names, two experiments on one path, and a header or cookie
 * name already used for something else (`otherCookies`: the visitor and session cookies).
 */
export function experimentsIssues(config: ExperimentsConfig, otherCookies: readonly string[] = [], base = '/experiments/list'): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string, value?: unknown) => issues.push({ path, message, value });
  if (RESERVED_HEADERS.has(config.header) || config.header.startsWith('x-forwarded-')) add('/experiments/header', 'this header already means something else', config.header);
  for (const [field, name] of [['cookie', config.cookie], ['userCookie', config.userCookie]] as const) {
    if (otherCookies.includes(name)) add(`/experiments/${field}`, 'the tracking cookies already use this name', name);
  }
  if (config.cookie === config.userCookie) add('/experiments/userCookie', 'must differ from experiments.cookie', config.userCookie);
  const names = new Set<string>();
  config.list.forEach((exp, i) => {
    const at = `${base}/${i}`;
    if (names.has(exp.name)) add(`${at}/name`, 'another experiment has this name', exp.name);
    names.add(exp.name);
    const sum = exp.variants.reduce((s, v) => s + v.weight, 0);
    if (Math.abs(sum - 100) > 0.001) add(`${at}/variants`, `the weights add up to ${Math.round(sum * 100) / 100}, not 100`);
    const max = maxTreatmentWeight(exp.variants.length);
    const variantNames = new Set<string>();
    exp.variants.forEach((v, j) => {
      if (variantNames.has(v.name)) add(`${at}/variants/${j}/name`, 'another variant of this experiment has this name', v.name);
      variantNames.add(v.name);
      if (v.rewrite && !v.upstream) add(`${at}/variants/${j}/rewrite`, 'a rewrite needs an upstream to send the rewritten path to');
      if (j > 0 && v.weight > max) {
        add(`${at}/variants/${j}/weight`, `with ${exp.variants.length} variants a treatment holds at most ${max}% (so that ramps never move units; see docs/experiments.md)`, v.weight);
      }
    });
    if (exp.start && exp.end && Date.parse(exp.start) >= Date.parse(exp.end)) add(`${at}/end`, 'must be after start', exp.end);
    const goalNames = new Set<string>();
    exp.goals.forEach((g, j) => {
      if (goalNames.has(g.name)) add(`${at}/goals/${j}/name`, 'another goal of this experiment has this name', g.name);
      goalNames.add(g.name);
      if ((g.field === undefined) !== (g.equals === undefined)) add(`${at}/goals/${j}`, '"field" and "equals" go together');
    });
  });
  const enabled = config.list.map((e, i) => ({ e, i })).filter(({ e }) => e.enabled);
  for (const [k, { e: a, i }] of enabled.entries()) {
    for (const { e: b } of enabled.slice(k + 1)) {
      if (!hostsOverlap(a.hosts, b.hosts)) continue;
      const shared = a.paths.find((p) => b.paths.some((q) => pathsOverlap(p, q)));
      if (shared) add(`${base}/${i}/paths`, `overlaps experiment ${JSON.stringify(b.name)} on ${shared}: one request would be in both, and their effects could not be told apart`);
    }
  }
  return issues;
}
