import { badRequest } from '../../server/errors.js';
import { dict, lookup } from '../../track/dict.js';
import type { ProtocolItem } from '../record.js';
import { asRecord, defined, eventId, isoTime, num, text, toParams, type Json } from '../values.js';
import { contextParams, selfDescribingEvent } from './self-describing.js';

/** Event kinds of the tracker protocol (https://docs.snowplow.io/docs/sources/trackers/snowplow-tracker-protocol/). */
const KINDS: Record<string, { etyp: string; ename?: string }> = {
  pv: { etyp: 'page', ename: 'page_view' },
  pp: { etyp: 'page_ping', ename: 'page_ping' },
  se: { etyp: 'track' },
  ue: { etyp: 'track' },
  tr: { etyp: 'transaction', ename: 'transaction' },
  ti: { etyp: 'transaction_item', ename: 'transaction_item' },
};

/** Parameters copied to `params` under a readable name when present. */
const EXTRA: Record<string, string> = {
  page: 'title', p: 'platform', tv: 'tracker', tna: 'namespace', lang: 'lang', res: 'resolution', cs: 'charset',
  nuid: 'nuid', tnuid: 'nuid', vid: 'session_index', se_ca: 'category', se_la: 'label', se_pr: 'property', se_va: 'value',
  pp_mix: 'pp_mix', pp_max: 'pp_max', pp_miy: 'pp_miy', pp_may: 'pp_may',
};

/**
 * One tracker-protocol event (query parameters or one `data[]` element, all strings) → a Gatehouse event.
 * `ip` and `ua` parameters are not trusted: the protocol is unauthenticated, so anyone could set them.
 */
export function mapSnowplowEvent(payload: Json): ProtocolItem {
  const e = text(payload.e);
  if (!e) throw badRequest('INVALID_EVENT', 'the "e" (event type) parameter is required');
  const kind = lookup(KINDS, e) ?? { etyp: e, ename: e };
  const params = dict<string>();
  for (const [from, to] of Object.entries(EXTRA)) {
    const v = text(payload[from]);
    if (v !== undefined) params[to] = v;
  }
  for (const key of Object.keys(payload)) {
    // Transaction and item fields keep their protocol names (tr_id, ti_sk, ...).
    if (/^t[ri]_/.test(key) && text(payload[key]) !== undefined) params[key] = text(payload[key]) as string;
  }
  let ename = kind.ename;
  if (e === 'se') {
    if (!text(payload.se_ca) || !text(payload.se_ac)) throw badRequest('INVALID_EVENT', 'a structured event needs se_ca and se_ac');
    ename = text(payload.se_ac);
  } else if (e === 'ue') {
    const event = selfDescribingEvent(payload.ue_pr, payload.ue_px);
    ename = event.name;
    params.schema = event.schema;
    toParams(event.data, params);
  }
  contextParams(payload.co, payload.cx, params);
  const [w, h] = dimensions(text(payload.vp));
  return {
    fields: defined({
      eid: eventId(payload.eid),
      ename,
      etyp: kind.etyp,
      app: text(payload.aid),
      vid: text(payload.duid),
      sid: text(payload.sid),
      uid: text(payload.uid),
      url: text(payload.url),
      created: isoTime(payload.ttm ?? payload.dtm),
      tz: text(payload.tz),
      w,
      h,
      params: Object.keys(params).length > 0 ? params : undefined,
    }),
    raw: payload,
    ...(text(payload.refr) ? { referrer: text(payload.refr) as string } : {}),
  };
}

/** `vp=1280x720` → [1280, 720]. */
function dimensions(value: string | undefined): [number | undefined, number | undefined] {
  const m = /^(\d+)x(\d+)$/.exec(value ?? '');
  return m ? [num(m[1]), num(m[2])] : [undefined, undefined];
}

/** The `data` array of a POST payload_data body. */
export function payloadData(body: unknown, maxBatch: number): Json[] {
  const data = asRecord(body)?.data;
  if (!Array.isArray(data) || data.length === 0) {
    throw badRequest('INVALID_PAYLOAD', 'expected payload_data: {"schema": "iglu:...payload_data/...", "data": [events]}');
  }
  if (data.length > maxBatch) throw badRequest('BATCH_TOO_LARGE', `at most ${maxBatch} events per request`, { maxBatch });
  return data.map((item, i) => {
    const event = asRecord(item);
    if (!event) throw badRequest('INVALID_EVENT', `item ${i}: not a JSON object`);
    return event;
  });
}
