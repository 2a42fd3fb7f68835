import type { FastifyRequest } from 'fastify';
import type { TrustedProxies } from './enrich/trusted-proxies.js';

/**
 * Who is on the other end of a request, through the gateway's one TrustedProxies: the visitor's address and
 * whether the visitor's connection is HTTPS. Built once at start and shared by every reader (rate limits, request
 * facts, the reverse proxy, the access log); the address is resolved once per request and then remembered.
 */
export interface RequestClient {
  readonly ip: (request: FastifyRequest) => string;
  readonly https: (request: FastifyRequest) => boolean;
}

export function createRequestClient(proxies: TrustedProxies): RequestClient {
  // Keyed by the request object, which lives exactly as long as the request; nothing to clean up.
  const resolved = new WeakMap<FastifyRequest, string>();
  return {
    ip: (request) => {
      let ip = resolved.get(request);
      if (ip === undefined) {
        ip = proxies.clientIp(request.socket.remoteAddress ?? '', request.headers);
        resolved.set(request, ip);
      }
      return ip;
    },
    https: (request) =>
      proxies.isHttps({ peer: request.socket.remoteAddress ?? '', encrypted: request.protocol === 'https', headers: request.headers }),
  };
}
