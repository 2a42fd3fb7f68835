import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from './config.js';
import type { TlsConfig } from '../tls/config.js';
import type { CertificateManager } from '../tls/cert-manager.js';
import { decidePlainHttp } from '../tls/http-redirect.js';
import { hygiene } from './server-factory.js';
import { errorBody, statusOf } from './errors.js';
import { guardRequests } from './request-guard.js';
import { writeClientError } from './client-error.js';

/**
 * The plain-HTTP listener when TLS is on: answers ACME HTTP-01 challenges (only for pending orders of configured
 * names), redirects everything else to HTTPS with 308, and hands configured exceptions to the same app.
 */
export function plainListener(options: { server: ServerConfig; tls: TlsConfig; certs: CertificateManager; app: FastifyInstance }): Server {
  const { tls, certs, app } = options;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const decision = decidePlainHttp({ method: req.method ?? 'GET', host: req.headers.host, url: req.url ?? '/' }, tls);
    switch (decision.action) {
      case 'challenge': {
        const body = certs.challengeResponse(decision.token, req.headers.host);
        res.writeHead(body ? 200 : 404, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(body ?? 'not found');
        return;
      }
      case 'redirect':
        res.writeHead(decision.status, { location: decision.location, 'content-type': 'text/plain' }).end();
        return;
      case 'reject':
        res.writeHead(statusOf(decision.code), { 'content-type': 'application/json' }).end(JSON.stringify(errorBody(decision.code, decision.reason)));
        return;
      case 'pass':
        app.routing(req, res);
    }
  };
  const server = createServer(hygiene(options.server), guardRequests(handler, options.server.maxRequestsPerSocket));
  server.on('clientError', writeClientError);
  return server;
}
