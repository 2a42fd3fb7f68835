import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pino, type Logger } from 'pino';
import { anonymizeIp, type IpMode } from '../track/enrich/anonymize.js';
import { resolveSalt } from '../track/enrich/salt.js';
import { accessLine, type LineFormat } from './access-log-line.js';
import { routeClassOf } from './http-metrics.js';
import { loggedPath } from './logged-path.js';
import { scrubSecrets } from '../config/secrets.js';

export type AccessLogFormat = 'json' | LineFormat;

export interface AccessLogOptions {
  readonly logger: Logger;
  readonly clientIp: (request: FastifyRequest) => string;
  /** `enrich.ip` and `enrich.salt`: the log keeps an address no longer than the events do. */
  readonly ip: IpMode;
  readonly salt: string;
  readonly format?: AccessLogFormat;
}

/**
 * `log.access`: one line per answered request, written whatever `log.level` is. `json` (the default) is a log
 * line like every other (`event: "access"`); `combined` and `common` are the text lines of Apache and nginx
 * (./access-log-line.ts), written to the same stream as the logs. Every format keeps the same things out: the
 * path goes without its query string and with personal identifiers in REST tuples redacted (see loggedPath), and
 * the client IP is stored as `enrich.ip` says, so turning the log on does not undo the privacy setting.
 * Proxied responses are written straight to the socket, so status and length are read from there.
 */
export function accessLog(app: FastifyInstance, options: AccessLogOptions): void {
  const salt = resolveSalt(options.salt);
  const ipOf = (request: FastifyRequest) => anonymizeIp(options.clientIp(request), options.ip, salt, new Date()) ?? null;
  const format = options.format ?? 'json';
  const write = format === 'json' ? jsonWriter(options.logger, ipOf) : lineWriter(options.logger, ipOf, format);
  app.addHook('onResponse', (request, reply, done) => {
    write(request, reply);
    done();
  });
}

type Writer = (request: FastifyRequest, reply: FastifyReply) => void;
type IpOf = (request: FastifyRequest) => string | null;

function jsonWriter(logger: Logger, ipOf: IpOf): Writer {
  const log = logger.child({}, { level: 'info' });
  return (request, reply) => {
    const length = bytesOf(reply);
    const ua = request.headers['user-agent'];
    log.info({
      event: 'access',
      reqId: request.id,
      method: request.method,
      host: request.headers.host,
      path: loggedPath(request.url),
      pattern: request.routeOptions.url ?? null,
      status: reply.raw.statusCode,
      ...(length !== undefined ? { bytes: length } : {}),
      ms: Math.round(reply.elapsedTime * 10) / 10,
      route: routeClassOf(request) ?? null,
      ip: ipOf(request),
      ...(ua ? { ua } : {}),
      // With tracing on: the line of a request can be found from its trace, and the other way round.
      ...(request.trace ? { traceId: request.trace.traceId } : {}),
    });
  };
}

function lineWriter(logger: Logger, ipOf: IpOf, format: LineFormat): Writer {
  // The logger's own destination (stdout, or the stream it was built with), so lines and logs keep their order.
  const stream = (logger as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym];
  if (!stream) throw new Error('the logger has no destination stream for log.access');
  return (request, reply) => {
    const referer = request.headers.referer;
    const userAgent = request.headers['user-agent'];
    const bytes = bytesOf(reply);
    const line = accessLine(
      {
        ip: ipOf(request),
        time: new Date(),
        method: request.method,
        path: loggedPath(request.url),
        httpVersion: request.raw.httpVersion,
        status: reply.raw.statusCode,
        ...(bytes !== undefined ? { bytes } : {}),
        ...(referer ? { referer } : {}),
        ...(userAgent ? { userAgent } : {}),
      },
      format,
    );
    // Written past pino, so its streamWrite hook (the environment values' scrub, telemetry/logger.ts) is applied here.
    stream.write(`${scrubSecrets(line)}\n`);
  };
}

/** The body length, from Content-Length: Fastify hands its headers to writeHead, which does not keep them, so ask the reply first. */
function bytesOf(reply: FastifyReply): number | undefined {
  const length = Number(reply.getHeader('content-length') ?? reply.raw.getHeader('content-length'));
  return Number.isFinite(length) ? length : undefined;
}
