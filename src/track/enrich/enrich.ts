import type { BuiltEvent } from '../build.js';
import { SERVER_BOOLEAN_FIELDS, SERVER_STRING_FIELDS, type TrackEvent } from '../event.js';
import { IDENTITY_FIELDS } from '../privacy.js';
import type { RequestFacts } from '../request-facts.js';
import { parseUrl } from '../url.js';
import type { EnrichConfig } from './config.js';
import { anonymizeIp } from './anonymize.js';
import { createBotDetector } from './bot.js';
import { cultureFrom } from './culture.js';
import type { GeoLookup } from './geo.js';
import { headerValue } from './headers.js';
import { hashPiiFields } from './pii.js';
import { resolveSalt } from './salt.js';
import { createUaParser } from './ua.js';
import { attributionFields, referrerFields } from './visit.js';

export interface EnricherOptions {
  geo?: GeoLookup;
  /** Resolved salt; when absent or empty, config.salt, else a random per-process salt (see resolveSalt). */
  salt?: string;
}

/**
 * A built event (buildEvent: client fields, raw PII aside) and its request's facts (decided once per request:
 * client IP, privacy, TLS) in; the event to store out.
 */
export type Enricher = (built: BuiltEvent, facts: RequestFacts) => TrackEvent;

/**
 * Server fields a client must not be able to set; everything of ServerFields except `raw` (the original payload
 * of a foreign protocol, which its recorder sets after enrichment).
 */
const SERVER_MADE: ReadonlySet<string> = new Set(
  [...SERVER_STRING_FIELDS, ...SERVER_BOOLEAN_FIELDS].filter((f) => f !== 'raw'),
);

/**
 * Builds the enricher once per config: compiles the bot lists, opens the UA cache. The returned function is
 * pure apart from that cache: same event and facts, same result. It never mutates its input.
 */
export function createEnricher(config: EnrichConfig, options: EnricherOptions): Enricher {
  const detectBot = createBotDetector(config.bots);
  const parseUa = createUaParser();
  const salt = resolveSalt(options.salt || config.salt);
  const { geo } = options;

  return ({ fields: event, pii }, facts) => {
    // 'drop' never gets here; were it to, it is at least anonymized.
    const anonymous = facts.privacy.action !== 'ignore';
    const ua = headerValue(facts.headers, 'user-agent');
    const ip = facts.clientIp;
    const host = normalizeHost(facts.host);
    // The page URL is parsed once, for its campaign fields and for its host.
    const page = event.url ? parseUrl(event.url) : undefined;
    const attribution = attributionFields(event, event.params, page);
    const verdict = detectBot(ua, facts.headers, ip);

    const out = clientFields(event);
    out.received = facts.receivedAt.toISOString();
    out.origin = facts.origin;
    // Hot path (every tracked request): fields are set one by one rather than merged from spreads.
    put(out, 'host', host);
    if (!anonymous) {
      put(out, 'ip', anonymizeIp(ip, config.ip, salt, facts.receivedAt));
      put(out, 'ua', ua);
    }
    putAll(out, parseUa(ua, facts.headers));
    out.bot = verdict.bot;
    if (verdict.bot) put(out, 'bot_kind', verdict.kind);
    // A mail proxy's address locates the proxy, not the reader: no geo rather than a wrong one.
    if (geo && verdict.kind !== 'mail-privacy' && verdict.kind !== 'image-proxy') {
      const place = geo(ip);
      if (place) putAll(out, place);
    }
    putAll(out, attribution.utm);
    put(out, 'params', attribution.params);
    putAll(out, referrerFields(event, facts, host, config.internalHosts, attribution.utm, page));
    put(out, 'culture', cultureFrom(headerValue(facts.headers, 'accept-language')));
    if (!anonymous) putAll(out, hashPiiFields(pii, salt));
    put(out, 'gpc', facts.privacy.gpc || undefined);
    // A trace id links the event to a backend's trace, which may name the user: not kept for an anonymized event.
    if (!anonymous) put(out, 'trace_id', facts.traceId);
    if (anonymous) for (const key of IDENTITY_FIELDS) delete out[key];
    return out;
  };
}

/**
 * One copy of the client's fields (the input is not touched), without the params (stored with click ids added)
 * and, at run time, what the types already exclude but a route's fixed fields might pass through: server-made
 * fields. Raw PII is not among the fields (buildEvent keeps it aside). Copied key by key into a new object on
 * purpose: V8 adds properties to an object made by spreading (`{ ...event }`) several times slower, and the
 * enricher adds about fifteen.
 */
function clientFields(event: BuiltEvent['fields']): TrackEvent {
  const source = event as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in source) {
    if (!Object.hasOwn(source, key) || key === 'params' || SERVER_MADE.has(key)) continue;
    out[key] = source[key];
  }
  return out as unknown as TrackEvent;
}

function normalizeHost(host: string | undefined): string | undefined {
  return host?.trim().toLowerCase().replace(/:\d+$/, '') || undefined;
}

/**
 * Sets a defined value only, so the stored event has no keys holding undefined. Nothing needs removing: the keys
 * set here are server-made (stripped by clientFields) or UTM fields, which are only ever replaced by values.
 */
function put<K extends keyof TrackEvent>(target: TrackEvent, key: K, value: TrackEvent[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/** `put` for each own key of `values`. */
function putAll(target: TrackEvent, values: Partial<TrackEvent>): void {
  for (const key in values) {
    if (Object.hasOwn(values, key)) put(target, key as keyof TrackEvent, values[key as keyof TrackEvent]);
  }
}
