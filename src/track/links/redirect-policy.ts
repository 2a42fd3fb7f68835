import { verifySignature } from './sign.js';
import { parseUrl } from '../url.js';

export type RedirectVerdict = { ok: true; url: string } | { ok: false; reason: string };

export interface RedirectPolicy {
  readonly allowHosts: readonly string[];
  readonly signingKey: string;
}

/**
 * Decides whether a tracked redirect may send the visitor to `raw`: only absolute http(s) URLs, without
 * credentials, to an allowlisted host or carrying a valid signature. Anything a browser could read as
 * protocol-relative (`//evil`, `/\evil`), a script (`javascript:`, `data:`) or a different host than it
 * looks (`https://good.com@evil.com`) is refused. The URL is checked after WHATWG parsing, which is what the
 * browser will do with the Location header.
 */
export function checkRedirect(raw: string | undefined, sig: string | undefined, policy: RedirectPolicy): RedirectVerdict {
  if (!raw) return { ok: false, reason: 'missing url' };
  // Control characters, whitespace and backslashes are never part of a legitimate destination; browsers
  // strip or reinterpret them, which is how filters get bypassed.
  if (hasForbiddenChars(raw)) return { ok: false, reason: 'url contains forbidden characters' };
  if (!/^https?:\/\//i.test(raw)) return { ok: false, reason: 'url must be an absolute http(s) URL' };
  const url = parseUrl(raw);
  if (!url) return { ok: false, reason: 'url is not a valid URL' };
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'url must use http or https' };
  if (url.username || url.password) return { ok: false, reason: 'url must not contain credentials' };
  if (!url.hostname) return { ok: false, reason: 'url has no host' };
  if (sig !== undefined) {
    return verifySignature(raw, sig, policy.signingKey) ? { ok: true, url: url.href } : { ok: false, reason: 'invalid signature' };
  }
  if (hostAllowed(url.hostname, policy.allowHosts)) return { ok: true, url: url.href };
  return { ok: false, reason: 'destination host is not allowed' };
}

export function hostAllowed(hostname: string, allowHosts: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return allowHosts.some((pattern) => {
    const p = pattern.toLowerCase();
    if (p.startsWith('*.')) return host.endsWith(p.slice(1)) || host === p.slice(2);
    return host === p;
  });
}

/** Short-link destinations are stored by an admin, but still must be web URLs (no `javascript:`). */
export function isWebUrl(raw: string): boolean {
  if (hasForbiddenChars(raw) || !/^https?:\/\//i.test(raw)) return false;
  const u = parseUrl(raw);
  return u !== undefined && (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && Boolean(u.hostname);
}

/** Control characters, space, DEL and backslash. */
function hasForbiddenChars(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}
