import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { CREDENTIALS, basicAuth, bytesEncode, ga4Path, queryOf } from './helpers/ingest.js';
import { fuzzRoutes, hostileJsonText, hostileString, jsonish, nextId, textFields, withoutIdKeys, type FuzzRequest } from './helpers/fuzz.js';

/**
 * Property-based fuzzing of the foreign protocols (Segment, PostHog, Snowplow GET and POST, GA4) through a real
 * gateway and DuckDB store, with the invariants of fuzz-tracking.test.ts. Ids the fuzzer sets: Segment
 * messageId, PostHog uuid, Snowplow eid, a GA4 `fz` param (GA4 events carry no id).
 */


const json = { 'content-type': 'application/json' };
const properties = fc.dictionary(hostileString, jsonish, { maxKeys: 5 });
/** A sender's own id: usually a plain one, sometimes hostile. */
const senderId = fc.oneof(fc.constant('anon-1'), fc.uuid(), hostileString);
/** Encodings a vendor's SDK uses for a JSON body. */
const encoding = fc.constantFrom('plain', 'gzip', 'form-base64', 'form-gzip');

function encoded(text: string, how: string): { headers: Record<string, string>; body: string | Buffer; query: string } {
  if (how === 'gzip') return { headers: { ...json, 'content-encoding': 'gzip' }, body: gzipSync(text), query: '' };
  if (how === 'form-base64') return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `data=${encodeURIComponent(Buffer.from(text).toString('base64'))}`, query: '' };
  if (how === 'form-gzip') {
    return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `data=${encodeURIComponent(gzipSync(text).toString('base64'))}&compression=gzip-js`, query: '' };
  }
  return { headers: json, body: text, query: '' };
}

const segmentMessage = fc.record({
  type: fc.constantFrom('track', 'identify', 'page', 'screen', 'group', 'alias', 'bogus'),
  event: fc.oneof(hostileString, fc.constant('Order Completed')),
  anonymousId: fc.option(senderId, { nil: undefined }),
  userId: fc.option(senderId, { nil: undefined }),
  properties: properties,
  traits: fc.option(properties, { nil: undefined }),
  context: fc.option(fc.record({ ip: hostileString, userAgent: hostileString, page: fc.record({ url: hostileString, referrer: hostileString }) }), { nil: undefined }),
});

const posthogEvent = fc.record({
  event: fc.oneof(hostileString, fc.constantFrom('$pageview', 'constructor', '__proto__', 'toString')),
  distinct_id: senderId,
  properties: fc.tuple(properties, fc.option(senderId, { nil: undefined })).map(([p, device]) => ({ ...p, ...(device ? { $device_id: device } : {}) })),
  timestamp: fc.option(fc.oneof(hostileString, fc.integer()), { nil: undefined }),
});

const snowplowEvent = fc.tuple(textFields, fc.constantFrom('pv', 'pp', 'se', 'ue', 'tr', 'constructor', 'x'), senderId, fc.option(jsonish, { nil: undefined })).map(([f, e, duid, data]) => ({
  ...withoutIdKeys(f),
  e,
  duid,
  se_ca: 'c',
  se_ac: 'a',
  ...(data !== undefined ? { ue_pr: JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0', data: { schema: 'iglu:com.acme/thing/jsonschema/1-0-0', data } }) } : {}),
}));

const routes: Record<string, fc.Arbitrary<FuzzRequest>> = {
  'Segment /v1/batch': fc.tuple(fc.array(segmentMessage, { minLength: 1, maxLength: 3 }), encoding).map(([messages, how]) => {
    const ids = messages.map(() => randomUUID());
    const e = encoded(JSON.stringify({ batch: messages.map((m, i) => ({ ...m, messageId: ids[i] })) }), how === 'plain' || how === 'gzip' ? how : 'plain');
    return { method: 'POST', path: '/v1/batch', headers: { ...e.headers, authorization: basicAuth(CREDENTIALS.segmentKey) }, body: e.body, ids, mode: 'strict' };
  }),
  'Segment /v1/track, raw bodies': hostileJsonText.map((text) => ({
    method: 'POST', path: '/v1/track', headers: { ...json, authorization: basicAuth(CREDENTIALS.segmentKey) }, body: text, ids: [], anonymous: true, mode: 'strict',
  })),
  'PostHog capture': fc.tuple(fc.array(posthogEvent, { minLength: 1, maxLength: 3 }), encoding, fc.constantFrom('/capture', '/batch/', '/e/', '/i/v0/e')).map(([events, how, path]) => {
    const ids = events.map(() => randomUUID());
    const e = encoded(JSON.stringify({ api_key: CREDENTIALS.posthogKey, batch: events.map((m, i) => ({ ...m, uuid: ids[i] })) }), how);
    return { method: 'POST', path, headers: e.headers, body: e.body, ids, mode: 'strict' };
  }),
  'PostHog GET data= (image beacon)': fc.tuple(posthogEvent, fc.boolean()).map(([event, gzip]) => {
    const id = randomUUID();
    const text = JSON.stringify({ ...event, api_key: CREDENTIALS.posthogKey, uuid: id });
    const data = (gzip ? gzipSync(text) : Buffer.from(text)).toString('base64');
    return { method: 'GET', path: `/e/?data=${encodeURIComponent(data)}${gzip ? '&compression=gzip-js' : ''}`, ids: [id], mode: 'strict' };
  }),
  'PostHog raw bodies': hostileJsonText.map((text) => ({ method: 'POST', path: '/capture', headers: json, body: text, ids: [], anonymous: true, mode: 'strict' })),
  'Snowplow GET /i': fc.tuple(snowplowEvent, fc.option(fc.uint8Array({ minLength: 1, maxLength: 6 }), { nil: undefined })).map(([event, bytes]) => {
    const id = nextId('sp');
    const q = queryOf(Object.fromEntries(Object.entries({ ...event, eid: id }).map(([k, v]) => [k, String(v)])));
    return { method: 'GET', path: `/i?${q}${bytes ? `&raw=${bytesEncode(bytes)}` : ''}`, ids: [id], mode: 'lenient' };
  }),
  'Snowplow POST tp2': fc.tuple(fc.array(snowplowEvent, { minLength: 1, maxLength: 3 }), encoding).map(([events, how]) => {
    const ids = events.map(() => nextId('tp2'));
    const e = encoded(JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data: events.map((ev, i) => ({ ...ev, eid: ids[i] })) }), how === 'gzip' ? 'gzip' : 'plain');
    return { method: 'POST', path: '/com.snowplowanalytics.snowplow/tp2', headers: e.headers, body: e.body, ids, mode: 'strict' };
  }),
  'GA4 collect': fc.tuple(
    senderId,
    fc.array(fc.record({ name: fc.oneof(hostileString, fc.constant('page_view')), params: properties }), { minLength: 1, maxLength: 3 }),
    fc.option(fc.dictionary(hostileString, fc.record({ value: jsonish }), { maxKeys: 3 }), { nil: undefined }),
  ).map(([clientId, events, userProperties]) => {
    const ids = events.map(() => nextId('ga4'));
    const body = { client_id: clientId, ...(userProperties ? { user_properties: userProperties } : {}), events: events.map((ev, i) => ({ ...ev, params: { ...ev.params, fz: ids[i] } })) };
    return { method: 'POST', path: ga4Path(), headers: json, body: JSON.stringify(body), ids, mode: 'strict' };
  }),
  'GA4 raw bodies': hostileJsonText.map((text) => ({ method: 'POST', path: ga4Path(), headers: json, body: text, ids: [], anonymous: true, mode: 'strict' })),
};

fuzzRoutes('fuzzing the protocol routes', routes, { seed: 2450 });
