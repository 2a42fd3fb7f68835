import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TrustedProxies } from './enrich/trusted-proxies.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client IP once resolved (RequestClient.ip); null before. */
    resolvedClientIp: string | null;
  }
}

/**
 * Who is on the other end of a request, through the gateway's one TrustedProxies: the visitor's address and
 * whether the visitor's connection is HTTPS. Built once at start and shared by every reader (rate limits, request
 * facts, the reverse proxy, the access log); the address is resolved once per request and then kept on it.
 */
export interface RequestClient {
  readonly ip: (request: FastifyRequest) => string;
  readonly https: (request: FastifyRequest) => boolean;
  /** Declares the per-request slot on an app, so every request object has it from the start (one V8 shape). */
  readonly decorate: (app: FastifyInstance) => void;
}

export function createRequestClient(proxies: TrustedProxies): RequestClient {
  return {
    ip: (request) => (request.resolvedClientIp ??= proxies.clientIp(request.socket.remoteAddress ?? '', request.headers)),
    https: (request) =>
      proxies.isHttps({ peer: request.socket.remoteAddress ?? '', encrypted: request.protocol === 'https', headers: request.headers }),
    decorate: (app) => {
      if (!app.hasRequestDecorator('resolvedClientIp')) app.decorateRequest('resolvedClientIp', null);
    },
  };
}
