import type { ClientFields, EventOrigin } from '../event.js';
import { headerValue, type HeaderMap } from './headers.js';
import { classifyReferrer, type ReferrerFacts } from './referrer.js';
import { UTM_FIELDS, extractAttribution, type UtmFields } from './utm.js';

/**
 * How the visit arrived, from the event and its request: the campaign (UTM and click ids) and the referrer.
 * Kept apart from enrich.ts because the rules about which source to believe are the subtle part.
 */

export interface VisitAttribution {
  /** The campaign fields to store: the client's when it sent any, else those of the event URL. */
  utm: UtmFields;
  /** Params with click ids from the URL added; undefined when there are none. */
  params?: Record<string, string>;
}

/**
 * The client's UTM fields come from 30-day attribution cookies and win as a set; mixing them field by field
 * with the URL's could pair one campaign's source with another's medium. Click ids the client already sent win.
 */
export function attributionFields(
  event: ClientFields,
  params: Record<string, string> | undefined,
  page: URL | undefined,
): VisitAttribution {
  // `page` is event.url already parsed (absolute URLs); a relative one is read for its query alone.
  const fromUrl = extractAttribution(page ?? event.url);
  const clientSent = UTM_FIELDS.some((f) => event[f] !== undefined && event[f] !== '');
  const utm: UtmFields = {};
  for (const f of UTM_FIELDS) {
    const value = clientSent ? event[f] : fromUrl.utm[f];
    if (value) utm[f] = value;
  }
  const merged = { ...fromUrl.clickIds, ...params };
  return Object.keys(merged).length > 0 ? { utm, params: merged } : { utm };
}

/**
 * Origins whose Referer header is the visit's referrer. For events sent by a script (track, server, protocol)
 * the header names the page that sent the event, not where the visitor came from; those clients send the
 * referrer as `last`.
 */
const REFERER_IS_REFERRER: ReadonlySet<EventOrigin> = new Set(['pixel', 'redirect', 'shortlink', 'pageview', 'experiment']);

export interface ReferrerContext {
  origin: EventOrigin;
  headers: HeaderMap;
}

export function referrerFields(
  event: ClientFields,
  facts: ReferrerContext,
  host: string | undefined,
  internalHosts: readonly string[],
  utm: UtmFields,
  page: URL | undefined,
): ReferrerFacts {
  const referrer = event.last || (REFERER_IS_REFERRER.has(facts.origin) ? headerValue(facts.headers, 'referer') : undefined);
  const internal = [...internalHosts];
  if (host) internal.push(host);
  const pageHost = page?.hostname.toLowerCase();
  if (pageHost) internal.push(pageHost);
  return classifyReferrer({ referrer, internalHosts: internal, medium: utm.medium, source: utm.source });
}
