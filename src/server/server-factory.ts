import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureServer, createServer as createHttp2Server } from 'node:http2';
import type { ServerConfig } from './config.js';
import type { TlsServerOptions } from '../tls/server-options.js';
import { withConnectionTracking } from './h2-connections.js';
import { GUARDED_SERVER_OPTIONS, guardRequests } from './request-guard.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Node's connection hygiene limits, shared by every listener: header size (431), slowloris timeouts, keep-alive. */
export function hygiene(config: ServerConfig) {
  return {
    maxHeaderSize: config.maxHeaderSize,
    headersTimeout: config.headersTimeout,
    requestTimeout: config.requestTimeout,
    keepAliveTimeout: config.keepAliveTimeout,
    // Node enforces the header and request timeouts only when it checks its connections (every 30 s by
    // default), which would let a slowloris client hold a socket 30 times longer than configured.
    connectionsCheckingInterval: Math.min(1_000, config.headersTimeout),
    // Hold the parser to the RFC: no lenient parsing of malformed requests.
    insecureHTTPParser: false,
    ...GUARDED_SERVER_OPTIONS,
  };
}

/** Fastify's `serverFactory` for a plain-HTTP listener. */
export function plainServerFactory(config: ServerConfig) {
  return (handler: Handler): Server => createServer(hygiene(config), guardRequests(handler, config.maxRequestsPerSocket));
}

/**
 * Fastify's `serverFactory` for the HTTPS listener: HTTP/2 with HTTP/1.1 fallback (ALPN) or HTTP/1.1 only.
 * Certificates come from the SNI callback, so renewed ones are served without a restart.
 */
export function secureServerFactory(config: ServerConfig, tls: TlsServerOptions) {
  return (handler: Handler): Server => {
    if (tls.allowHTTP1) {
      // A TLS handshake gets no longer than request headers would (Node's default is 120 s).
      const server = createSecureServer({ ...tls, handshakeTimeout: config.headersTimeout, settings: { maxHeaderListSize: config.maxHeaderSize } }, guardRequests(handler) as never);
      server.setTimeout(config.requestTimeout);
      return withConnectionTracking(server) as unknown as Server;
    }
    return createHttpsServer({ ...tls, ...hygiene(config), handshakeTimeout: config.headersTimeout }, guardRequests(handler, config.maxRequestsPerSocket)) as unknown as Server;
  };
}

/**
 * Fastify's `serverFactory` for an app that never listens: the listener is built once (mainListener) and hands
 * each request to the app of the running config (AppSwitch), so a reload swaps apps, not sockets. The app's own
 * server only carries what plugins attach to it (@fastify/websocket's `upgrade` handler).
 */
export function detachedServerFactory(http2: boolean) {
  return (): Server => (http2 ? (createHttp2Server() as unknown as Server) : createServer());
}
