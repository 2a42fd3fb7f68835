import type { TrackEvent } from '../track/event.js';
import type { RoutingRule } from './config.js';
import { fieldOf } from './mapping.js';

export type Route = (event: TrackEvent) => boolean;

/** Compiles a destination's rules: any rule may match; within a rule every condition must hold. None: all events. */
export function compileRoute(rules: readonly RoutingRule[]): Route {
  if (rules.length === 0) return () => true;
  const compiled = rules.map(compileRule);
  return (event) => compiled.some((rule) => rule(event));
}

function compileRule(rule: RoutingRule): Route {
  const checks: Route[] = [];
  for (const field of ['ename', 'etyp', 'origin'] as const) {
    const values = rule[field];
    if (values) checks.push(valueIn(field, values));
  }
  for (const field of rule.has ?? []) checks.push((e) => fieldOf(e, field) !== undefined);
  for (const [field, values] of Object.entries(rule.fields ?? {})) checks.push(valueIn(field, values));
  return (event) => checks.every((check) => check(event));
}

/** Exact values, or prefixes when a value ends in "*". */
function valueIn(field: string, values: readonly string[]): Route {
  const exact = new Set(values.filter((v) => !v.endsWith('*')));
  const prefixes = values.filter((v) => v.endsWith('*')).map((v) => v.slice(0, -1));
  return (event) => {
    const v = fieldOf(event, field);
    if (v === undefined) return false;
    const s = String(v);
    return exact.has(s) || prefixes.some((p) => s.startsWith(p));
  };
}
