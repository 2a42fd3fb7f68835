import { parseUrl } from '../url.js';

/**
 * Campaign attribution from a landing URL. Field names drop the `utm_` prefix, as the upstream tracker does
 * (utm_source → source). Ad click ids are kept as params so a conversion can be matched back to the ad.
 */

export interface UtmFields {
  source?: string;
  medium?: string;
  campaign?: string;
  term?: string;
  content?: string;
}

export interface Attribution {
  utm: UtmFields;
  /** Click ids present in the URL (gclid, fbclid, msclkid, ...), by their parameter name. */
  clickIds: Record<string, string>;
}

export const UTM_FIELDS: readonly (keyof UtmFields)[] = ['source', 'medium', 'campaign', 'term', 'content'];

/** Google (gclid, and gbraid/wbraid on iOS), Meta, Microsoft, TikTok. */
export const CLICK_ID_PARAMS: readonly string[] = ['gclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid'];

type QueryInput = string | URL | URLSearchParams | Readonly<Record<string, string | undefined>>;

/**
 * Reads utm_* and click ids from a URL (absolute or relative), a URLSearchParams or a plain query map.
 * Empty values count as absent; an unparseable URL gives nothing.
 */
export function extractAttribution(input: QueryInput | undefined): Attribution {
  const query = toParams(input);
  const utm: UtmFields = {};
  const clickIds: Record<string, string> = {};
  if (query === undefined) return { utm, clickIds };
  for (const field of UTM_FIELDS) {
    const value = query.get(`utm_${field}`);
    if (value) utm[field] = value;
  }
  for (const name of CLICK_ID_PARAMS) {
    const value = query.get(name);
    if (value) clickIds[name] = value;
  }
  return { utm, clickIds };
}

function toParams(input: QueryInput | undefined): URLSearchParams | undefined {
  if (input === undefined) return undefined;
  if (input instanceof URLSearchParams) return input;
  if (input instanceof URL) return input.searchParams;
  if (typeof input === 'string') {
    // A relative URL resolves against a placeholder base: only its query matters here.
    return parseUrl(input, 'http://placeholder.invalid/')?.searchParams;
  }
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(input)) if (value !== undefined) params.set(key, value);
  return params;
}
