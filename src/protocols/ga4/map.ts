import { badRequest } from '../../server/errors.js';
import { dict } from '../../track/dict.js';
import type { ProtocolItem } from '../record.js';
import { asRecord, defined, isoTime, num, text, toParams } from '../values.js';

/** Event params that GA4 itself reads, mapped onto Gatehouse fields rather than kept as params. */
const MAPPED = new Set(['page_location', 'page_referrer', 'session_id', 'campaign', 'source', 'medium', 'term', 'content']);

/**
 * A Measurement Protocol body (https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference)
 * → one Gatehouse event per `events[]` entry: client_id (or app_instance_id) → vid, user_id → uid,
 * name → ename, params → params, user_properties → params `user.<name>`.
 */
export function mapGa4Body(body: unknown, maxBatch: number): ProtocolItem[] {
  const payload = asRecord(body);
  if (!payload) throw badRequest('INVALID_PAYLOAD', 'the body must be a JSON object');
  const vid = text(payload.client_id) ?? text(payload.app_instance_id);
  if (!vid) throw badRequest('INVALID_PAYLOAD', 'client_id (or app_instance_id) is required');
  const events = payload.events;
  if (!Array.isArray(events) || events.length === 0) throw badRequest('INVALID_PAYLOAD', '"events" must be a non-empty array');
  if (events.length > maxBatch) throw badRequest('BATCH_TOO_LARGE', `at most ${maxBatch} events per request`, { maxBatch });
  const userParams = dict<string>();
  for (const [name, entry] of Object.entries(asRecord(payload.user_properties) ?? {})) {
    const value = asRecord(entry)?.value;
    if (value !== undefined && value !== null) userParams[`user.${name}`] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }

  return events.map((entry, i): ProtocolItem => {
    const event = asRecord(entry);
    const name = text(event?.name);
    if (!event || !name) throw badRequest('INVALID_EVENT', `item ${i}: every event needs a "name"`, { item: i });
    const params = asRecord(event.params) ?? {};
    const kept = toParams(Object.fromEntries(Object.entries(params).filter(([k]) => !MAPPED.has(k))), { ...userParams });
    const referrer = text(params.page_referrer);
    return {
      fields: defined({
        ename: name,
        etyp: name === 'page_view' ? 'page' : 'track',
        vid,
        uid: text(payload.user_id),
        sid: text(params.session_id),
        url: text(params.page_location),
        campaign: text(params.campaign),
        source: text(params.source),
        medium: text(params.medium),
        term: text(params.term),
        content: text(params.content),
        created: isoTime(num(event.timestamp_micros) ?? num(payload.timestamp_micros), 'us'),
        params: Object.keys(kept).length > 0 ? kept : undefined,
      }),
      raw: { ...payload, events: [event] },
      ...(referrer ? { referrer } : {}),
    };
  });
}
