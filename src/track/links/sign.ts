import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 of the exact destination URL, base64url without padding: the `sig` of a signed link. */
export function signUrl(url: string, key: string): string {
  return createHmac('sha256', key).update(url, 'utf8').digest('base64url');
}

export function verifySignature(url: string, sig: string, key: string): boolean {
  if (!key || !sig) return false;
  const expected = Buffer.from(signUrl(url, key));
  const given = Buffer.from(sig);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A complete tracked redirect link for `url`, signed when a key is given. */
export function trackedLink(base: string, prefix: string, url: string, key?: string, extra: Record<string, string> = {}): string {
  const link = new URL(`${prefix}/`, base);
  link.searchParams.set('url', url);
  for (const [k, v] of Object.entries(extra)) link.searchParams.set(k, v);
  if (key) link.searchParams.set('sig', signUrl(url, key));
  return link.toString();
}
