import type { FastifyInstance } from 'fastify';
import type { Tracing } from '../telemetry/tracing/index.js';
import { routeClassOf } from './http-metrics.js';
import { loggedPath } from './logged-path.js';

/**
 * A server span per request (tracing.enabled): started when the request is routed, ended when its response is
 * finished, named after the matched route pattern and labelled with the route class and status. Installed only
 * when tracing is on; with it off the request pays nothing, not even a property.
 * The span's path is the access log's (no query string, personal identifiers redacted): a trace backend is one
 * more place a query string's keys and signatures must not reach.
 */
export function traceRequests(app: FastifyInstance, tracing: Tracing): void {
  app.decorateRequest('trace', null);
  app.addHook('onRequest', (request, _reply, done) => {
    request.trace = tracing.request({
      method: request.method,
      path: loggedPath(request.url),
      headers: request.headers,
      scheme: request.protocol,
      host: request.hostname,
    });
    done();
  });
  // Proxied responses are written straight to the socket: the status is read from there.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    const routeClass = routeClassOf(request);
    // The trace stays on the request: the access log, whose hook runs next, writes its id.
    request.trace?.end({ status: reply.raw.statusCode, ...(route ? { route } : {}), ...(routeClass ? { routeClass } : {}) });
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    request.trace?.end({ error: 'client_aborted' });
    request.trace = null;
    done();
  });
}
