import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureServer } from 'node:http2';
import type { ServerConfig } from './config.js';
import type { TlsServerOptions } from '../tls/server-options.js';
import { withConnectionTracking } from './h2-connections.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Node's connection hygiene limits, shared by every listener: header size (431), slowloris timeouts, keep-alive. */
export function hygiene(config: ServerConfig) {
  return {
    maxHeaderSize: config.maxHeaderSize,
    headersTimeout: config.headersTimeout,
    requestTimeout: config.requestTimeout,
    keepAliveTimeout: config.keepAliveTimeout,
    // Hold the parser to the RFC: no lenient parsing of malformed requests.
    insecureHTTPParser: false,
  };
}

/** Fastify's `serverFactory` for a plain-HTTP listener. */
export function plainServerFactory(config: ServerConfig) {
  return (handler: Handler): Server => createServer(hygiene(config), handler);
}

/**
 * Fastify's `serverFactory` for the HTTPS listener: HTTP/2 with HTTP/1.1 fallback (ALPN) or HTTP/1.1 only.
 * Certificates come from the SNI callback, so renewed ones are served without a restart.
 */
export function secureServerFactory(config: ServerConfig, tls: TlsServerOptions) {
  return (handler: Handler): Server => {
    if (tls.allowHTTP1) {
      const server = createSecureServer({ ...tls, settings: { maxHeaderListSize: config.maxHeaderSize } }, handler as never);
      server.setTimeout(config.requestTimeout);
      return withConnectionTracking(server) as unknown as Server;
    }
    return createHttpsServer({ ...tls, ...hygiene(config) }, handler) as unknown as Server;
  };
}
