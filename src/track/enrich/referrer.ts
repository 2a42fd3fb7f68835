import { EMAIL_HOSTS, SEARCH_HOSTS, SOCIAL_HOSTS, hostPattern } from './referrer-hosts.js';
import { parseUrl } from '../url.js';

/** How a visit arrived. `paid` comes only from the campaign medium; browsers do not reveal ad clicks. */
export type Channel = 'search' | 'social' | 'email' | 'paid' | 'direct' | 'internal' | 'other';

export interface ReferrerInput {
  /** The referring URL (document.referrer, the previous URL, or a Referer header). */
  referrer?: string;
  /** Hosts that count as the site itself: the request host, the page host, configured internalHosts. */
  internalHosts?: readonly string[];
  /** Campaign medium (utm_medium) of this visit, if any. */
  medium?: string;
  /** Campaign source; a tagged link without a referrer is a campaign, not a direct visit. */
  source?: string;
}

export interface ReferrerFacts {
  ref_host?: string;
  channel: Channel;
}

const EMAIL = hostPattern(EMAIL_HOSTS);
const SEARCH = hostPattern(SEARCH_HOSTS);
const SOCIAL = hostPattern(SOCIAL_HOSTS);

const MEDIUM_CHANNEL: readonly (readonly [RegExp, Channel])[] = [
  [/^(?:cpc|ppc|cpm|cpv|cpa|paid|paid[-_ ]?\w*|display|banner|ads?|retargeting)$/, 'paid'],
  [/^(?:e-?mail|newsletter)$/, 'email'],
  [/^(?:social|social[-_ ]?(?:media|network)|sm)$/, 'social'],
];

/**
 * The channel of a visit. Order: navigation within the site is internal whatever campaign cookies say (the
 * client resends them for 30 days); then the campaign medium, which the site owner set on purpose; then the
 * referrer host; then direct, or other when a tagged link arrived without a referrer.
 */
export function classifyReferrer({ referrer, internalHosts = [], medium, source }: ReferrerInput): ReferrerFacts {
  const host = referrerHost(referrer);
  const withHost = (channel: Channel): ReferrerFacts => (host === undefined ? { channel } : { ref_host: host, channel });
  if (host !== undefined && isInternal(host, internalHosts)) return withHost('internal');
  const byMedium = mediumChannel(medium);
  if (byMedium !== undefined) return withHost(byMedium);
  if (host === undefined) return { channel: source ? 'other' : 'direct' };
  if (EMAIL.test(host)) return withHost('email');
  if (SEARCH.test(host)) return withHost('search');
  if (SOCIAL.test(host)) return withHost('social');
  return withHost('other');
}

/** Lower-case host of a referring URL; android-app:// referrers name the app package as their host. */
export function referrerHost(referrer: string | undefined): string | undefined {
  const host = referrer ? parseUrl(referrer)?.hostname.toLowerCase() : undefined;
  return host === '' ? undefined : host;
}

export function mediumChannel(medium: string | undefined): Channel | undefined {
  const m = medium?.trim().toLowerCase();
  if (!m) return undefined;
  return MEDIUM_CHANNEL.find(([pattern]) => pattern.test(m))?.[1];
}

/** "www.example.com" and "example.com" are one site; "*.example.com" also matches every subdomain. */
function isInternal(host: string, internalHosts: readonly string[]): boolean {
  const bare = stripWww(host);
  return internalHosts.some((entry) => {
    const h = entry.trim().toLowerCase().replace(/:\d+$/, '');
    if (h.startsWith('*.')) return bare === h.slice(2) || bare.endsWith(h.slice(1));
    return h !== '' && stripWww(h) === bare;
  });
}

function stripWww(host: string): string {
  return host.startsWith('www.') ? host.slice(4) : host;
}
