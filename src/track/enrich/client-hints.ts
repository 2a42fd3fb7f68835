import { headerValue, type HeaderMap } from './headers.js';
import { lookup } from '../dict.js';

/**
 * User-Agent Client Hints (https://wicg.github.io/ua-client-hints/). Chromium freezes parts of its User-Agent
 * string (OS version, device model), so when hints are sent they are the better source. Low-entropy hints come
 * with every request; the high-entropy ones only when the site asked with Accept-CH.
 */
export interface ClientHints {
  brand?: string;
  brandVersion?: string;
  platform?: string;
  platformVersion?: string;
  mobile?: boolean;
}

/** Brand names as sent, mapped to the names ua-parser-js uses for the same browsers. */
const BRAND_NAMES: Record<string, string> = {
  'Google Chrome': 'Chrome',
  'Microsoft Edge': 'Edge',
  'Opera': 'Opera',
  'Brave': 'Brave',
  'Vivaldi': 'Vivaldi',
  'YaBrowser': 'Yandex',
  'Samsung Internet': 'Samsung Internet',
  'HeadlessChrome': 'Chrome Headless',
};

export function parseClientHints(headers: HeaderMap | undefined): ClientHints {
  const hints: ClientHints = {};
  const full = headerValue(headers, 'sec-ch-ua-full-version-list');
  const brand = pickBrand(full ?? headerValue(headers, 'sec-ch-ua'));
  if (brand) {
    hints.brand = brand.name;
    hints.brandVersion = brand.version;
  }
  const platform = unquote(headerValue(headers, 'sec-ch-ua-platform'));
  if (platform) hints.platform = platform;
  const platformVersion = unquote(headerValue(headers, 'sec-ch-ua-platform-version'));
  if (platformVersion) hints.platformVersion = platformVersion;
  const mobile = headerValue(headers, 'sec-ch-ua-mobile')?.trim();
  if (mobile === '?1' || mobile === '?0') hints.mobile = mobile === '?1';
  return hints;
}

/**
 * The most specific brand: not a GREASE entry ("Not A(Brand" and friends, sent to keep parsers honest), and
 * "Chromium" only when nothing more specific is listed.
 */
function pickBrand(list: string | undefined): { name: string; version: string } | undefined {
  if (!list) return undefined;
  let chromium: { name: string; version: string } | undefined;
  for (const match of list.matchAll(/"((?:[^"\\]|\\.)*)"\s*;\s*v\s*=\s*"([^"]*)"/g)) {
    const name = match[1] ?? '';
    const version = match[2] ?? '';
    if (/not.?a.?brand/i.test(name)) continue;
    if (name === 'Chromium') chromium ??= { name: 'Chromium', version };
    else return { name: lookup(BRAND_NAMES, name) ?? name, version };
  }
  return chromium;
}

function unquote(value: string | undefined): string | undefined {
  return value?.trim().replace(/^"(.*)"$/, '$1') || undefined;
}
