import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LoadBalancing } from './config.js';

/** The upstream id a client's sticky cookie names, if it sent one. */
export function stickyValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  return header ? parseCookie(header)[name] : undefined;
}

/**
 * Pins the client to `id`: added to the reply before the upstream answers, so the upstream's own cookies are
 * written alongside. Returns the header value, for `unpin` when the request goes to another upstream.
 */
export function pin(request: FastifyRequest, reply: FastifyReply, cookie: LoadBalancing['cookie'], path: string, id: string): string {
  const value = stringifySetCookie({
    name: cookie.name,
    value: id,
    path: path || '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: request.protocol === 'https',
    ...(cookie.maxAge > 0 ? { maxAge: Math.floor(cookie.maxAge / 1000) } : {}),
  });
  reply.header('set-cookie', value);
  return value;
}

/** Removes a pin set by `pin` and nothing else. */
export function unpin(reply: FastifyReply, value: string): void {
  const current = reply.getHeader('set-cookie');
  if (current === undefined) return;
  const rest = (Array.isArray(current) ? current : [String(current)]).filter((v) => v !== value);
  reply.removeHeader('set-cookie');
  if (rest.length > 0) reply.header('set-cookie', rest);
}
