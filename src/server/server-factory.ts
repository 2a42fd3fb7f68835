import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { ServerConfig } from './config.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Fastify's `serverFactory` for the plain-HTTP listener, so Node's connection hygiene limits apply:
 * header size (431 beyond it), header and request timeouts (slowloris), keep-alive.
 */
export function plainServerFactory(config: ServerConfig) {
  return (handler: Handler): Server => {
    const server = createServer(
      {
        maxHeaderSize: config.maxHeaderSize,
        headersTimeout: config.headersTimeout,
        requestTimeout: config.requestTimeout,
        keepAliveTimeout: config.keepAliveTimeout,
        // Hold the header parser to the RFC: no lenient parsing of malformed requests.
        insecureHTTPParser: false,
      },
      handler,
    );
    return server;
  };
}
