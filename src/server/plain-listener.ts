import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ServerConfig } from './config.js';
import type { TlsConfig } from '../tls/config.js';
import type { CertificateManager } from '../tls/cert-manager.js';
import { decidePlainHttp } from '../tls/http-redirect.js';
import { hygiene } from './server-factory.js';
import { errorBody, statusOf } from './errors.js';
import { guardRequests } from './request-guard.js';
import { writeClientError } from './client-error.js';

export interface PlainListenerOptions {
  readonly server: ServerConfig;
  /** The running `tls` slice and certificates, read per request: a config reload swaps them. */
  readonly current: () => { readonly tls: TlsConfig; readonly certs: CertificateManager };
  /** The app of the running config (the main listener's request callback). */
  readonly routing: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * The plain-HTTP listener when TLS is on: answers ACME HTTP-01 challenges (only for pending orders of configured
 * names), redirects everything else to HTTPS with 308, and hands configured exceptions to the same app.
 */
export function plainListener(options: PlainListenerOptions): Server {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const { tls, certs } = options.current();
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
        options.routing(req, res);
    }
  };
  const server = createServer(hygiene(options.server), guardRequests(handler, options.server.maxRequestsPerSocket));
  server.on('clientError', writeClientError);
  return server;
}
