import { LRUCache } from 'lru-cache';
import { UAParser } from 'ua-parser-js';
import type { HeaderMap } from './headers.js';
import { parseClientHints, type ClientHints } from './client-hints.js';

/** What the server records about the client software. Names follow ua-parser-js 1.x ("Mobile Safari", "Mac OS"). */
export interface UaFields {
  ua_browser?: string;
  ua_browser_version?: string;
  ua_os?: string;
  ua_os_version?: string;
  /** desktop | mobile | tablet | console | smarttv | wearable | embedded | xr */
  ua_device: string;
}

export interface UaParserOptions {
  /** Distinct user agents kept parsed; traffic repeats a few thousand strings, and a parse costs ~50 µs. */
  cacheSize?: number;
}

export type UaParser = (ua: string | undefined, headers?: HeaderMap) => UaFields;

/** Longest user agent parsed; longer strings are cut so a hostile header cannot make the cache hold megabytes. */
const MAX_UA_LENGTH = 512;

export function createUaParser({ cacheSize = 5000 }: UaParserOptions = {}): UaParser {
  const cache = new LRUCache<string, UaFields>({ max: cacheSize });
  return (ua, headers) => {
    const key = (ua ?? '').slice(0, MAX_UA_LENGTH);
    let fields = cache.get(key);
    if (fields === undefined) {
      fields = parseUa(key);
      cache.set(key, fields);
    }
    return applyClientHints(fields, parseClientHints(headers));
  };
}

/** The user agent alone. Unknown devices are desktops: mobile and tablet browsers say what they are. */
export function parseUa(ua: string): UaFields {
  const result = new UAParser(ua).getResult();
  return compact({
    ua_browser: result.browser.name,
    ua_browser_version: result.browser.version,
    ua_os: result.os.name,
    ua_os_version: result.os.version,
    ua_device: result.device.type ?? 'desktop',
  });
}

/**
 * Hints win where the UA string is frozen or ambiguous: the brand (Brave and Chrome share one UA string), the
 * platform version (Windows 11 still says "Windows NT 10.0"), and mobile. Never mutates the cached value.
 */
export function applyClientHints(fields: UaFields, hints: ClientHints): UaFields {
  if (Object.keys(hints).length === 0) return fields;
  const out: UaFields = { ...fields };
  if (hints.brand) {
    const sameMajor = major(fields.ua_browser_version) === major(hints.brandVersion);
    if (hints.brand !== fields.ua_browser || !sameMajor) out.ua_browser_version = hints.brandVersion || undefined;
    out.ua_browser = hints.brand;
  }
  if (hints.platform && hints.platform !== 'Unknown') {
    out.ua_os = hints.platform === 'macOS' ? 'Mac OS' : hints.platform;
    if (hints.platformVersion) out.ua_os_version = platformVersion(out.ua_os, hints.platformVersion);
    else if (hints.platform !== fields.ua_os && !(hints.platform === 'macOS' && fields.ua_os === 'Mac OS')) {
      out.ua_os_version = undefined;
    }
  }
  if (hints.mobile === true) out.ua_device = 'mobile';
  return compact(out);
}

/**
 * Windows reports its platform version as the UniversalApiContract version: 13 and above is Windows 11,
 * 1-10 is Windows 10, 0 is 7/8/8.1 (https://learn.microsoft.com/en-us/microsoft-edge/web-platform/how-to-detect-win11).
 */
function platformVersion(os: string, version: string): string {
  if (os !== 'Windows') return version;
  const m = Number(major(version));
  if (m >= 13) return '11';
  if (m >= 1) return '10';
  return version;
}

function major(version: string | undefined): string | undefined {
  return version?.split('.')[0];
}

function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
