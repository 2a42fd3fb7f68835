/** Minimal RFC 6265 cookie reading and writing for the visitor and session cookies. */

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      // Only plain tokens are read back: a cookie is client input like any other.
      return /^[A-Za-z0-9_-]{1,64}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

export interface CookieOptions {
  readonly maxAgeMs: number;
  readonly domain: string;
  readonly secure: boolean;
}

/**
 * Not HttpOnly on purpose: track.js reads `vid`/`sid` to put them in events it sends to other origins.
 * They hold random ids, nothing secret.
 */
export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  let cookie = `${name}=${value}; Path=/; Max-Age=${Math.floor(o.maxAgeMs / 1000)}; SameSite=Lax`;
  if (o.domain) cookie += `; Domain=${o.domain}`;
  if (o.secure) cookie += '; Secure';
  return cookie;
}
