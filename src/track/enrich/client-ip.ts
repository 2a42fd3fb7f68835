import { headerValue, type HeaderMap } from './headers.js';
import { parseForwardedFor, parseXForwardedFor } from './forwarded.js';
import { parseIp } from './ip.js';
import { compileCidrs, type CidrMatcher } from './cidr.js';

/**
 * The client address behind trusted reverse proxies. Only the socket peer is a fact; forwarding headers are
 * believed only as far as the chain of trusted hops that wrote them (the rule Caddy's `trusted_proxies` uses).
 */

export type ForwardedHeader = 'x-forwarded-for' | 'forwarded' | 'auto';

export interface ClientIpOptions {
  /**
   * Which header the trusted proxies write. A client can always send the other one, so naming it is the only
   * way to be sure it is ignored. 'auto' (default) uses whichever is present; when both are present and lead to
   * different clients, neither can be told apart from a forgery and the peer is returned.
   */
  header?: ForwardedHeader;
}

export type ClientIpResolver = (peer: string, headers: HeaderMap) => string;

/**
 * Compiles the trusted list (an invalid entry throws CidrError here) for a resolver on its own; the gateway
 * builds one for everything (see trusted-proxies.ts), which shares the compiled list with the HTTPS check.
 */
export function createClientIpResolver(trustedProxies: readonly string[], options: ClientIpOptions = {}): ClientIpResolver {
  return clientIpResolver(compileCidrs(trustedProxies, 'trustedProxies'), options);
}

/** The resolver over an already compiled list; it only parses headers per call. */
export function clientIpResolver(trusted: CidrMatcher, { header = 'auto' }: ClientIpOptions = {}): ClientIpResolver {
  const isTrusted = (ip: string) => trusted.has(ip);

  return (peer, headers) => {
    const client = parseIp(peer);
    if (client === undefined) return peer;
    if (trusted.size === 0 || !isTrusted(client)) return client;
    const xff = header === 'forwarded' ? undefined : headerValue(headers, 'x-forwarded-for');
    const fwd = header === 'x-forwarded-for' ? undefined : headerValue(headers, 'forwarded');
    const fromXff = xff === undefined ? undefined : walk(parseXForwardedFor(xff), client, isTrusted);
    const fromFwd = fwd === undefined ? undefined : walk(parseForwardedFor(fwd), client, isTrusted);
    if (fromXff !== undefined && fromFwd !== undefined) return fromXff === fromFwd ? fromXff : client;
    return fromXff ?? fromFwd ?? client;
  };
}

/**
 * Walks the claimed hops from the right. Each trusted hop vouches for the entry to its left; the first untrusted
 * address is the client. A malformed entry ends the walk at the last trusted hop: whatever is left of garbage was
 * written by someone we cannot vouch for, so the conservative answer is the nearest address we could verify.
 * When every entry is trusted, the leftmost is the client (an internal caller behind the proxies).
 */
function walk(hops: readonly string[], peer: string, isTrusted: (ip: string) => boolean): string {
  let last = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const ip = parseIp(hops[i] ?? '');
    if (ip === undefined) return last;
    if (!isTrusted(ip)) return ip;
    last = ip;
  }
  return last;
}
