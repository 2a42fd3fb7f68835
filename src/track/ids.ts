import { createHash } from 'node:crypto';

/**
 * Identifiers a client sends (visitor, session, user and device ids). They become cookies (`vid`, `sid`) and
 * stored ids, so they are plain tokens: the characters below are all RFC 6265 cookie-octets, URL-safe and
 * printable, which covers UUIDs, base64(url) ids, GA4 client ids ("123.456"), prefixed ids ("user:42") and
 * e-mail-shaped user ids. Anything else (control characters, spaces, `;`, quotes, non-ASCII) could carry a
 * cookie attribute or break a header.
 */
export const ID_PATTERN = /^[A-Za-z0-9._~:@+=-]{1,128}$/;
export const ID_MAX_LENGTH = 128;

/** The id fields of an event read from a request. */
export const ID_FIELDS = ['vid', 'sid', 'uid', 'did'] as const;

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/**
 * The replacement of an id that is not a plain token: `h-` and 40 characters of its SHA-256 (base64url). It is
 * never the value sent, so nothing of it reaches a cookie or a header, yet it is stable: a retry, or the next
 * event of the same foreign tracker, gets the same id, so events stay linked and deduplicate.
 */
export function hashedId(value: string): string {
  return `h-${createHash('sha256').update(value).digest('base64url').slice(0, 40)}`;
}

/** The id itself when it is a plain token, else its hashed replacement. */
export function safeId(value: string): string {
  return isValidId(value) ? value : hashedId(value);
}
