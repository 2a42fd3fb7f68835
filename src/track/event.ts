/**
 * The one event model. Field names follow the upstream "tracker" so existing clients keep working
 * (see docs/compatibility-upstream.md). Values are stored as sent: nothing is lowercased.
 */

/** Which surface produced the event; discriminates how it was built. */
export type EventOrigin =
  | 'track' // /tr/v1/ from a browser or app
  | 'server' // /str/v1/ with an API key
  | 'pixel' // /img/v1/ email open
  | 'redirect' // /rdr/v1/ tracked link
  | 'shortlink' // GET /<slug>
  | 'pageview' // server-side page view of proxied traffic
  | 'experiment' // exposure of a unit to an experiment's variant (src/experiments/)
  | 'protocol'; // another tracker's protocol (Segment, Snowplow, ...)

/** Fields a client may send. All optional; strings unless noted. */
export interface ClientFields {
  eid?: string; // event id: a client-supplied id is kept, so retries deduplicate
  vid?: string; // visitor
  sid?: string; // session
  uid?: string; // user
  did?: string; // device id
  app?: string;
  rel?: string; // app release
  ename?: string; // event name
  etyp?: string; // event type
  url?: string;
  last?: string; // previous URL
  ref?: string; // referring visitor
  rcode?: string; // referral code
  aff?: string; // affiliate
  xid?: string; // experiment
  split?: string;
  ver?: string;
  sink?: string; // funnel step
  score?: number;
  outcome?: string;
  source?: string; // utm_source
  medium?: string;
  campaign?: string;
  term?: string;
  content?: string;
  lat?: number;
  lon?: number;
  w?: number; // viewport
  h?: number;
  duration?: number; // ms since last interaction
  created?: string; // client time (ISO 8601)
  tz?: string;
  device?: string;
  os?: string;
  ptyp?: string; // page type
  cflags?: number; // consent bitmask
  first?: boolean; // false suppresses visitor/session rows
  params?: Record<string, string>;
}

/** Facts the server adds (enrichment). Snake case marks them as server-made. */
export interface ServerFields {
  received: string; // server receive time (ISO 8601)
  origin: EventOrigin;
  host?: string; // site the event is for
  ip?: string; // after anonymization, as configured
  ehash?: string; // salted hashes of PII: raw email/cell/uname are never kept
  chash?: string;
  uhash?: string;
  culture?: string; // first Accept-Language tag
  ua?: string;
  ua_browser?: string;
  ua_browser_version?: string;
  ua_os?: string;
  ua_os_version?: string;
  ua_device?: string; // desktop | mobile | tablet | ...
  bot?: boolean;
  bot_kind?: string; // crawler | ai | mail-privacy | image-proxy | scanner
  country?: string;
  region?: string;
  city?: string;
  geo_tz?: string;
  ref_host?: string; // referrer host
  channel?: string; // search | social | email | direct | other | internal
  gpc?: boolean; // Sec-GPC: 1 was sent
  raw?: string; // original payload of a foreign protocol
  trace_id?: string; // W3C trace id of the request (docs/tracing.md)
}

export type TrackEvent = ClientFields & ServerFields & { eid: string };

/** The client fields and their JSON types, used to validate and to build typed columns in sinks. */
export const NUMERIC_FIELDS = ['score', 'lat', 'lon', 'w', 'h', 'duration', 'cflags'] as const;
export const BOOLEAN_FIELDS = ['first'] as const;
export const STRING_FIELDS = [
  'eid', 'vid', 'sid', 'uid', 'did', 'app', 'rel', 'ename', 'etyp', 'url', 'last', 'ref', 'rcode', 'aff',
  'xid', 'split', 'ver', 'sink', 'outcome', 'source', 'medium', 'campaign', 'term', 'content', 'created',
  'tz', 'device', 'os', 'ptyp',
] as const;

export const SERVER_STRING_FIELDS = [
  'received', 'origin', 'host', 'ip', 'ehash', 'chash', 'uhash', 'culture', 'ua', 'ua_browser',
  'ua_browser_version', 'ua_os', 'ua_os_version', 'ua_device', 'bot_kind', 'country', 'region', 'city',
  'geo_tz', 'ref_host', 'channel', 'raw', 'trace_id',
] as const;
export const SERVER_BOOLEAN_FIELDS = ['bot', 'gpc'] as const;
