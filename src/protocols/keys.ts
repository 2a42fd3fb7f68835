import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time lookup of a secret among configured ones: digests are compared, so the time taken does not
 * depend on the length or the prefix of the key sent.
 */
export function keyMatcher<T>(entries: readonly T[], keyOf: (entry: T) => string): (sent: string | undefined) => T | undefined {
  const digests = entries.map((entry) => ({ entry, digest: digest(keyOf(entry)) }));
  return (sent) => {
    if (!sent) return undefined;
    const d = digest(sent);
    return digests.find((k) => timingSafeEqual(k.digest, d))?.entry;
  };
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** The user name of an HTTP Basic Authorization header (RFC 7617). */
export function basicUser(header: string | undefined): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  return user === '' ? undefined : user;
}
