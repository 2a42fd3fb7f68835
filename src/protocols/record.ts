import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { BuildLimits } from '../track/build.js';
import { buildBatch } from '../track/build-batch.js';
import { prepareEvents } from '../track/record.js';
import type { TrackContext } from '../track/context.js';
import type { RequestFacts } from '../track/request-facts.js';
import type { TrackEvent } from '../track/event.js';
import { piiParams, redactPii } from './pii.js';

/** One event of a foreign protocol, already mapped onto Gatehouse field names. */
export interface ProtocolItem {
  /** Read by buildEvent (same validation and limits as /tr/v1); `params` is an object of strings. */
  readonly fields: Record<string, unknown>;
  /** The original payload of this one event, kept in `raw`. */
  readonly raw: unknown;
  /** Facts an authenticated server vouches for; they replace the connection's in enrichment. */
  readonly trusted?: { readonly ip?: string; readonly userAgent?: string };
  /** The page's referrer as the tracker saw it; stored as `last`, which referrer enrichment reads. */
  readonly referrer?: string;
}

export type ProtocolOutcome = { kind: 'accepted'; ids: string[] } | { kind: 'dropped'; reason: string };

/**
 * The protocol counterpart of recordEvents: request facts (once) → build (all items, all errors) → enrich →
 * pipeline, resolving once durable. Identity differs on purpose: a foreign tracker manages its own ids
 * (anonymousId, duid, distinct_id), so no gateway cookie is read or set and no visitor id is invented.
 */
export async function recordProtocolEvents(
  ctx: TrackContext,
  request: FastifyRequest,
  items: readonly ProtocolItem[],
  options: { route: string; limits: BuildLimits },
): Promise<ProtocolOutcome> {
  const facts = ctx.facts(request, 'protocol');
  if (facts.privacy.action === 'drop') return { kind: 'dropped', reason: 'privacy_signal' };
  const anonymize = facts.privacy.action === 'anonymize';

  // For script-sent events the referrer travels as `last` (enrichment does not read their Referer header).
  const inputs = items.map((item) => {
    const params = item.fields.params as Record<string, string> | undefined;
    return { ...item.fields, ...(params ? { params: piiParams(params) } : {}), ...(item.referrer && !item.fields.last ? { last: item.referrer } : {}) };
  });
  const built = buildBatch(inputs, options.limits, (n) => ctx.rejected({ reason: 'invalid_fields', route: options.route }, {}, n));

  const events = built.map((b, i): TrackEvent => {
    const item = items[i] as ProtocolItem;
    // Anonymized events lose their ids in enrichment, as every route's do.
    const event = ctx.enrich(b, vouchedFacts(facts, item.trusted));
    // The original payload carries the ids and addresses a privacy signal asked us not to keep.
    if (!anonymize) event.raw = JSON.stringify(redactPii(item.raw));
    return event;
  });
  await ctx.pipeline.accept(prepareEvents(ctx, events, options.route), request.trace);
  return { kind: 'accepted', ids: events.map((e) => e.eid) };
}

/** The request's facts with what an authenticated server vouches for (the visitor's IP and user agent) in place of the connection's. */
function vouchedFacts(facts: RequestFacts, trusted: ProtocolItem['trusted']): RequestFacts {
  if (!trusted) return facts;
  const ip = trusted.ip && isIP(trusted.ip) ? trusted.ip : undefined;
  if (!ip && !trusted.userAgent) return facts;
  return {
    ...facts,
    ...(ip ? { clientIp: ip } : {}),
    ...(trusted.userAgent ? { headers: { ...facts.headers, 'user-agent': trusted.userAgent } } : {}),
  };
}
