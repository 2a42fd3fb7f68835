import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { setCheckedHeaders } from '../server/checked-headers.js';
import type { TrackContext } from '../track/context.js';
import { assign, isActive, parseOverrides, type Assignment } from './assign.js';
import type { Experiment, ExperimentsConfig } from './config.js';
import { assignmentsCookie, assignmentsHeader, readAssignments } from './cookie.js';
import { exposureId, recordExposure } from './exposure.js';
import { experimentMatches } from './match.js';
import { resolveUnits, type Units } from './units.js';

/** Exposures recorded lately by this process: in cookieless mode (no cookie to remember it) this saves a write per page. */
const RECENT = 100_000;

/**
 * The edge of an experiment, as an `onRequest` hook on the public app (registered before the proxy and static
 * routes): for every active experiment matching the request's host and path it assigns the unit, tells the
 * upstream (`Gatehouse-Experiments: checkout=b`), records the exposure once, and sets the assignments cookie
 * for scripts. All of it happens before the upstream is asked, so the first HTML served is already the variant's.
 * A client-sent assignments header is always removed: a visitor does not choose its own variant.
 */
export function experimentsHook(config: ExperimentsConfig, track: TrackContext, assignedTo: WeakMap<FastifyRequest, string[]>) {
  const recent = new LRUCache<string, true>({ max: RECENT });
  const pending = new Map<string, Promise<boolean>>();
  const cookieless = track.config.cookies.mode === 'cookieless';

  // Concurrent first requests of a unit share one write (the store would keep one anyway: the id is derived).
  const exposeOnce = (request: FastifyRequest, reply: FastifyReply, exp: Experiment, a: Assignment): Promise<boolean> => {
    const eid = exposureId(exp, a);
    if (recent.has(eid)) return Promise.resolve(true);
    let write = pending.get(eid);
    if (!write) {
      write = recordExposure(track, request, reply, exp, a).finally(() => pending.delete(eid));
      pending.set(eid, write);
    }
    return write.then((ok) => {
      if (ok) recent.set(eid, true);
      return ok;
    });
  };

  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    delete request.headers[config.header];
    const now = Date.now();
    const q = request.url.indexOf('?');
    const path = q < 0 ? request.url : request.url.slice(0, q);
    const matching = config.list.filter((e) => isActive(e, now) && experimentMatches(e, request.hostname, path));
    if (matching.length === 0) return;
    // The same facts a tracking route decides (client IP, HTTPS, privacy), so units are made as its ids are.
    const facts = track.facts(request, 'experiment');
    const units = resolveUnits(track, request, facts, config.userCookie);
    if (!units) return;
    const overrides = config.allowOverride ? parseOverrides((request.query as Record<string, string | string[] | undefined>).gh_variant, matching) : new Map<string, string>();
    const assigned = matching.map((exp) => {
      const unit = unitOf(exp, units);
      const forced = overrides.get(exp.name);
      const a: Assignment = { experiment: exp.name, unit, variant: forced ?? assign(exp, unit), override: forced !== undefined };
      return { exp, a };
    });
    request.headers[config.header] = assignmentsHeader(assigned.map(({ a }) => a));
    assignedTo.set(request, assigned.map(({ a }) => `${a.experiment}:${a.variant}`));

    const known = readAssignments(request.headers.cookie, config.cookie);
    const fresh = assigned.filter(({ a }) => known.get(a.experiment) !== a.variant);
    const recorded = await Promise.all(fresh.map(({ exp, a }) => exposeOnce(request, reply, exp, a)));
    const cookies = [...units.setCookies];
    if (!cookieless && fresh.length > 0) {
      // Only recorded exposures go in the cookie: one that failed is tried again on the next request.
      const next = new Map([...known].filter(([name]) => config.list.some((e) => e.name === name)));
      fresh.forEach(({ a }, i) => recorded[i] && next.set(a.experiment, a.variant));
      const { domain, visitorMaxAge } = track.config.cookies;
      cookies.push(assignmentsCookie(config.cookie, next, { domain, secure: facts.secure, maxAgeMs: visitorMaxAge }));
    }
    if (cookies.length > 0) setCheckedHeaders(reply, { 'set-cookie': cookies });
  };
}

function unitOf(exp: Experiment, units: Units): string {
  if (exp.unit === 'sid') return units.sid ?? units.vid;
  if (exp.unit === 'uid') return units.uid ?? units.vid;
  return units.vid;
}
