import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * DNS-rebinding guard for an admin listener without a token. A page on evil.example can make its own name resolve
 * to 127.0.0.1 and then call the admin API from the victim's browser: the request reaches the loopback listener,
 * but its Host is still `evil.example`. So, with no token, the Host must be a loopback name or address, or one of
 * `admin.hosts`; and a mutation must come from no browser page (no Origin) or from a page of the admin listener
 * itself (same-origin), so another local site cannot drive it either. With a token, the token is the check (a
 * rebinding page cannot know it).
 */
export function adminHostCheck(token: string, hosts: readonly string[]) {
  if (token) return undefined;
  const named = new Set(hosts.map((h) => h.toLowerCase()));
  const allowed = (host: string) => isLoopbackName(host) || named.has(host);
  return (request: FastifyRequest): void => {
    const authority = request.headers.host ?? '';
    const host = hostOf(authority);
    if (!host || !allowed(host)) {
      throw new HttpError('FORBIDDEN_HOST', 'the admin API answers only to a loopback Host (localhost, 127.0.0.1, [::1]) or a name in admin.hosts');
    }
    const origin = request.headers.origin;
    if (origin === undefined || !MUTATIONS.has(request.method)) return;
    if (!sameOrigin(origin, authority)) {
      throw new HttpError('FORBIDDEN_ORIGIN', 'a change through the admin API must come from the admin listener\'s own pages (same Origin) or from no page at all');
    }
  };
}

/** The host of a Host header, lower-cased, without its port; IPv6 literals keep their brackets. */
function hostOf(authority: string): string | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i.exec(authority);
  return m?.[1]?.toLowerCase().replace(/\.$/, '');
}

function isLoopbackName(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost') || host === '[::1]') return true;
  // 127.0.0.0/8 (RFC 1122 §3.2.1.3), as a dotted quad only: no short or numeric forms.
  return /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(host);
}

/** Whether `origin` (scheme://host[:port]) names this very listener as the Host header does. `null` never matches. */
function sameOrigin(origin: string, authority: string): boolean {
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host === new URL(`${u.protocol}//${authority}`).host;
  } catch {
    return false;
  }
}
