import { badRequest } from '../../server/errors.js';
import { lookup } from '../../track/dict.js';
import type { ProtocolItem } from '../record.js';
import { asRecord, defined, eventId, isoTime, text, toParams, type Json } from '../values.js';

const TYPES: Record<string, string> = {
  $pageview: 'page',
  $pageleave: 'page_leave',
  $screen: 'screen',
  $identify: 'identify',
  $groupidentify: 'group',
  $create_alias: 'alias',
};

/** Properties that are credentials or already mapped onto fields; not repeated in params. */
const NOT_PARAMS = new Set(['token', 'api_key', 'distinct_id', '$current_url', '$session_id', '$device_id']);

/**
 * One capture message (https://posthog.com/docs/api/capture) → a Gatehouse event. `distinct_id` is the user
 * (uid) once identified and the visitor (vid) while anonymous: it is anonymous when it equals `$device_id` or
 * `$is_identified` is false. `$device_id`, or `$anon_distinct_id` of an identify, is the visitor.
 */
export function mapPostHogEvent(message: Json): ProtocolItem {
  const properties = asRecord(message.properties) ?? {};
  const event = text(message.event);
  if (!event) throw badRequest('INVALID_EVENT', 'an event needs an "event" name');
  const distinctId = text(message.distinct_id) ?? text(properties.distinct_id) ?? text(message.$distinct_id);
  if (!distinctId) throw badRequest('INVALID_EVENT', 'an event needs a distinct_id');
  const deviceId = text(properties.$device_id);
  const anonymous = properties.$is_identified === false || distinctId === deviceId;
  const params = toParams(Object.fromEntries(Object.entries(properties).filter(([k]) => !NOT_PARAMS.has(k) && !k.startsWith('utm_'))));
  const referrer = text(properties.$referrer);

  return {
    fields: defined({
      eid: eventId(message.uuid),
      ename: event,
      etyp: lookup(TYPES, event) ?? 'track',
      uid: anonymous ? undefined : distinctId,
      vid: deviceId ?? text(properties.$anon_distinct_id) ?? (anonymous ? distinctId : undefined),
      sid: text(properties.$session_id),
      url: text(properties.$current_url),
      source: text(properties.utm_source),
      medium: text(properties.utm_medium),
      campaign: text(properties.utm_campaign),
      term: text(properties.utm_term),
      content: text(properties.utm_content),
      created: isoTime(message.timestamp ?? properties.$time, typeof properties.$time === 'number' ? 's' : 'ms'),
      params: Object.keys(params).length > 0 ? params : undefined,
    }),
    raw: message,
    ...(referrer && referrer !== '$direct' ? { referrer } : {}),
  };
}

/**
 * The messages of a capture body and its project key: `{api_key, batch: [...]}`, a single `{api_key, event, ...}`,
 * or posthog-js's bare array whose events carry the key in `properties.token`.
 */
export function captureMessages(body: unknown, maxBatch: number): { key: string | undefined; messages: Json[] } {
  const object = asRecord(body);
  const list: unknown[] = Array.isArray(body) ? body : Array.isArray(object?.batch) ? (object.batch as unknown[]) : object ? [object] : [];
  if (list.length === 0) throw badRequest('INVALID_PAYLOAD', 'expected an event object, {"batch": [...]} or an array of events');
  if (list.length > maxBatch) throw badRequest('BATCH_TOO_LARGE', `at most ${maxBatch} events per request`, { maxBatch });
  const messages = list.map((m, i) => {
    const message = asRecord(m);
    if (!message) throw badRequest('INVALID_EVENT', `item ${i}: not a JSON object`);
    return message;
  });
  const first = messages[0];
  const key =
    text(object?.api_key) ?? text(object?.token) ?? text(first?.api_key) ?? text(asRecord(first?.properties)?.token);
  return { key, messages };
}
