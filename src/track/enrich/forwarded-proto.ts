import type { CidrMatcher } from './cidr.js';
import type { ForwardedHeader } from './client-ip.js';
import { parseForwardedParam } from './forwarded.js';
import { headerValue, type HeaderMap } from './headers.js';
import { parseIp } from './ip.js';

export interface ConnectionFacts {
  /** The socket peer's address. */
  readonly peer: string;
  /** This hop is TLS (our own listener terminated it). */
  readonly encrypted: boolean;
  readonly headers: HeaderMap;
}

/**
 * Whether the visitor's connection is HTTPS: ours, or, behind a TLS-terminating proxy, what that proxy says
 * in X-Forwarded-Proto (or RFC 7239 `Forwarded: proto=`), believed only when the socket peer is one of the
 * configured trusted proxies, the same compiled list and the same header choice as the client-IP resolver. Anyone else
 * could claim https. With several values the first, the one the proxy nearest the visitor wrote, is used.
 */
export function httpsCheck(trusted: CidrMatcher, { header = 'auto' }: { header?: ForwardedHeader } = {}): (connection: ConnectionFacts) => boolean {
  return ({ peer, encrypted, headers }: ConnectionFacts): boolean => {
    if (encrypted) return true;
    const ip = trusted.size === 0 ? undefined : parseIp(peer);
    if (ip === undefined || !trusted.has(ip)) return false;
    const xfp = header === 'forwarded' ? undefined : headerValue(headers, 'x-forwarded-proto');
    const fwd = header === 'x-forwarded-for' ? undefined : headerValue(headers, 'forwarded');
    const proto = xfp !== undefined ? xfp.split(',')[0] : fwd !== undefined ? parseForwardedParam(fwd, 'proto')[0] : undefined;
    return proto?.trim().toLowerCase() === 'https';
  };
}
