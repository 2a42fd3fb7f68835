import type { FastifyReply, FastifyRequest } from 'fastify';
import { buildBatch } from './build-batch.js';
import type { BuiltEvent } from './build.js';
import type { TrackContext } from './context.js';
import type { ClientFields, EventOrigin, TrackEvent } from './event.js';
import type { PreparedEvents } from './pipeline.js';
import { HttpError } from '../server/errors.js';
import { applyIdentity } from './identity.js';
import { setCheckedHeaders } from '../server/checked-headers.js';

export interface RecordOptions {
  readonly route: string;
  readonly origin: EventOrigin;
  readonly setCookies: boolean;
  /** Fields used when the client sent none (e.g. `ename` of a pixel). */
  readonly defaults?: Partial<ClientFields>;
  /** Fields the route itself sets (e.g. the redirect destination); the client cannot override them. */
  readonly fixed?: Partial<ClientFields>;
}

export type RecordOutcome = { kind: 'accepted'; ids: string[] } | { kind: 'dropped'; reason: string };

/**
 * The path every tracking route shares (./README.md): request facts (client IP, HTTPS, privacy, once) → build
 * (all items, all errors) → identity → enrich → response headers → pipeline. Resolves only after the events are
 * durable. A batch with any bad item is rejected whole, with per-item errors, so a client never has to guess
 * which half was stored.
 */
export async function recordEvents(
  ctx: TrackContext,
  request: FastifyRequest,
  reply: FastifyReply,
  inputs: readonly Record<string, unknown>[],
  options: RecordOptions,
): Promise<RecordOutcome> {
  const facts = ctx.facts(request, options.origin);
  if (facts.privacy.action === 'drop') return { kind: 'dropped', reason: 'privacy_signal' };

  const built = buildBatch(inputs, ctx.config.limits, (n) =>
    ctx.rejected({ reason: 'invalid_fields', route: options.route }, {}, n),
  );
  const cookies = applyIdentity(
    built.map((b) => b.fields),
    { cookies: ctx.config.cookies, salt: ctx.salt, setCookies: options.setCookies },
    facts,
  );
  const events = built.map((b) => ctx.enrich({ fields: withRouteFields(b.fields, options), pii: b.pii }, facts));
  // Everything that can fail happens before the events are stored; after `accept`, the answer is the 2xx.
  const prepared = prepareEvents(ctx, events, options.route);
  if (cookies.length > 0) setCheckedHeaders(reply, { 'set-cookie': cookies });
  await ctx.pipeline.accept(prepared, request.trace);
  return { kind: 'accepted', ids: events.map((e) => e.eid) };
}

/**
 * The route's defaults fill what the client left out; its fixed fields win; the event id stays. `fields` is this
 * request's own object, fresh from buildEvent, so it is completed in place rather than copied (a copy per event
 * on the hot path costs more than all of this).
 */
function withRouteFields(fields: BuiltEvent['fields'], options: RecordOptions): BuiltEvent['fields'] {
  const { defaults, fixed } = options;
  const eid = fields.eid;
  const target = fields as unknown as Record<string, unknown>;
  if (defaults) {
    for (const [key, value] of Object.entries(defaults)) if (target[key] === undefined) target[key] = value;
  }
  if (fixed) Object.assign(fields, fixed);
  fields.eid = eid;
  return fields;
}

/**
 * The events encoded for the spool (EventPipeline.prepare). A request refused for an event over spool.maxEventSize
 * counts its events as refused (`eventRejected`, reason `event_too_large`) here, once, for every route.
 */
export function prepareEvents(ctx: TrackContext, events: readonly TrackEvent[], route: string): PreparedEvents {
  try {
    return ctx.pipeline.prepare(events);
  } catch (err) {
    if (err instanceof HttpError && err.code === 'EVENT_TOO_LARGE') ctx.rejected({ reason: 'event_too_large', route }, { ...err.details }, events.length);
    throw err;
  }
}
