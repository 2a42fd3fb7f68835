import { parseCookie, stringifySetCookie } from 'cookie';
import { isValidId } from './ids.js';

/** The visitor and session cookies, read and written with the `cookie` package (RFC 6265 parsing and checks). */

/** A cookie of the request, only when it is a plain id: a cookie is client input like any other. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const value = parseCookie(header, { decode: (raw) => raw })[name];
  return value !== undefined && isValidId(value) ? value : undefined;
}

export interface CookieOptions {
  readonly maxAgeMs: number;
  readonly domain: string;
  readonly secure: boolean;
}

// No encoding: a value outside the cookie-octet set throws here, before anything is stored, instead of being
// silently rewritten. Values are plain ids (see ids.ts), so it never does.
const verbatim = (value: string) => value;

/**
 * Every attribute comes from configuration, never from a request; the serializer refuses a name, value or
 * domain outside RFC 6265's grammar. Not HttpOnly on purpose: track.js reads `vid`/`sid` to put them in events
 * it sends to other origins. They hold random ids, nothing secret.
 */
export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  return stringifySetCookie(
    {
      name,
      value,
      path: '/',
      maxAge: Math.floor(o.maxAgeMs / 1000),
      sameSite: 'lax',
      ...(o.domain ? { domain: o.domain } : {}),
      ...(o.secure ? { secure: true } : {}),
    },
    { encode: verbatim },
  );
}
