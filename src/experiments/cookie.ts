import { parseCookie } from 'cookie';
import { serializeCookie, type CookieOptions } from '../track/cookies.js';

/**
 * The assignments cookie, read by `gatehouse.variant(name)` in track.js: "checkout:b|pricing:control". Its
 * characters are all RFC 6265 cookie-octets (names are [A-Za-z0-9_-]). It tells the browser its variants and
 * the gateway which exposures are already recorded; it never decides a variant (the hash does), so a cookie a
 * client edits changes nothing but one more exposure record.
 */
export function readAssignments(header: string | undefined, name: string): Map<string, string> {
  const out = new Map<string, string>();
  const raw = header ? parseCookie(header, { decode: (v) => v })[name] : undefined;
  if (!raw) return out;
  for (const pair of raw.split('|')) {
    const [exp, variant] = pair.split(':');
    if (exp && variant && /^[A-Za-z0-9_-]{1,40}$/.test(exp) && /^[A-Za-z0-9_-]{1,40}$/.test(variant)) out.set(exp, variant);
  }
  return out;
}

export function assignmentsCookie(name: string, assignments: ReadonlyMap<string, string>, options: CookieOptions): string {
  return serializeCookie(name, [...assignments].map(([e, v]) => `${e}:${v}`).join('|'), options);
}

/** The upstream header value: "checkout=b; pricing=control". */
export function assignmentsHeader(assignments: readonly { experiment: string; variant: string }[]): string {
  return assignments.map((a) => `${a.experiment}=${a.variant}`).join('; ');
}
