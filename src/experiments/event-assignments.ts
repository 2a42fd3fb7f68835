import type { IncomingHttpHeaders } from 'node:http';
import type { TrackEvent } from '../track/event.js';
import { assign } from './assign.js';
import type { ExperimentsConfig } from './config.js';
import { readAssignments } from './cookie.js';

/**
 * Stamps an event with the experiments its visitor was exposed to, so raw events say which variant they came
 * from: `params.gh_exp` = "checkout:b|pricing:control", and `xid`/`split` when the event names no experiment
 * and the visitor is in exactly one. The assignments cookie only says which experiments were seen; each
 * variant is recomputed from the event's own unit id, and one that does not match (a forged cookie, a QA
 * override, a ramp) is left out. Results do not depend on this (they join goals by unit id and time).
 */
export function withAssignments<A, F extends { readonly headers: IncomingHttpHeaders }>(
  config: ExperimentsConfig,
  enrich: (fields: A, facts: F) => TrackEvent,
): (fields: A, facts: F) => TrackEvent {
  if (config.list.length === 0) return enrich;
  const stamp = eventAssignments(config);
  return (fields, facts) => stamp(enrich(fields, facts), facts.headers);
}

/** The stamp itself (see withAssignments); anonymized events carry no vid and are left alone. */
export function eventAssignments(config: ExperimentsConfig): (event: TrackEvent, headers: IncomingHttpHeaders) => TrackEvent {
  const byName = new Map(config.list.map((e) => [e.name, e]));
  return (event, headers) => {
    if (event.origin === 'experiment' || !event.vid || !headers.cookie?.includes(config.cookie)) return event;
    const seen = readAssignments(headers.cookie, config.cookie);
    const confirmed: string[] = [];
    for (const [name, variant] of seen) {
      const exp = byName.get(name);
      const unit = exp?.unit === 'sid' ? event.sid : exp?.unit === 'uid' ? (event.uid ?? event.vid) : event.vid;
      if (exp && unit && assign(exp, unit) === variant) confirmed.push(`${name}:${variant}`);
    }
    if (confirmed.length === 0) return event;
    event.params = { ...event.params, gh_exp: confirmed.join('|') };
    const [only] = confirmed;
    if (confirmed.length === 1 && only && event.xid === undefined && event.split === undefined) {
      const [xid, split] = only.split(':');
      event.xid = xid;
      event.split = split;
    }
    return event;
  };
}
