import { compileCidrs } from './cidr.js';
import { clientIpResolver, type ClientIpOptions, type ClientIpResolver } from './client-ip.js';
import { httpsCheck, type ConnectionFacts } from './forwarded-proto.js';

/**
 * What the configured trusted proxies (`server.trustedProxies`, `server.forwardedHeader`) let the gateway believe
 * about a connection: the visitor's address and whether the visitor's connection is HTTPS. The list is compiled
 * once, at start, and this one object serves every user of it (tracking, rate limits, the access log, the
 * reverse proxy), so they cannot disagree about who the client is.
 */
export interface TrustedProxies {
  readonly clientIp: ClientIpResolver;
  readonly isHttps: (connection: ConnectionFacts) => boolean;
}

/** Throws CidrError for an invalid entry. */
export function createTrustedProxies(trustedProxies: readonly string[], options: ClientIpOptions = {}): TrustedProxies {
  const trusted = compileCidrs(trustedProxies, 'trustedProxies');
  return { clientIp: clientIpResolver(trusted, options), isHttps: httpsCheck(trusted, options) };
}
