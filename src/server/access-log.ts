import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { anonymizeIp, type IpMode } from '../track/enrich/anonymize.js';
import { resolveSalt } from '../track/enrich/salt.js';
import { routeClassOf } from './http-metrics.js';
import { loggedPath } from './logged-path.js';

export interface AccessLogOptions {
  readonly logger: Logger;
  readonly clientIp: (request: FastifyRequest) => string;
  /** `enrich.ip` and `enrich.salt`: the log keeps an address no longer than the events do. */
  readonly ip: IpMode;
  readonly salt: string;
}

/**
 * `log.access`: one JSON line per answered request (`event: "access"`), written whatever `log.level` is. The path
 * goes without its query string and with personal identifiers in REST tuples redacted (see loggedPath), next to
 * the matched route pattern; the client IP is stored as `enrich.ip` says, so turning the log on does not undo the
 * privacy setting.
 * Proxied responses are written straight to the socket, so status and length are read from there.
 */
export function accessLog(app: FastifyInstance, options: AccessLogOptions): void {
  const log = options.logger.child({}, { level: 'info' });
  const salt = resolveSalt(options.salt);
  app.addHook('onResponse', (request, reply, done) => {
    const raw = reply.raw;
    // Fastify hands its headers to writeHead, which does not keep them on the response: ask the reply first.
    const length = Number(reply.getHeader('content-length') ?? raw.getHeader('content-length'));
    const ua = request.headers['user-agent'];
    log.info({
      event: 'access',
      reqId: request.id,
      method: request.method,
      host: request.headers.host,
      path: loggedPath(request.url),
      pattern: request.routeOptions.url ?? null,
      status: raw.statusCode,
      ...(Number.isFinite(length) ? { bytes: length } : {}),
      ms: Math.round(reply.elapsedTime * 10) / 10,
      route: routeClassOf(request) ?? null,
      ip: anonymizeIp(options.clientIp(request), options.ip, salt, new Date()) ?? null,
      ...(ua ? { ua } : {}),
    });
    done();
  });
}
