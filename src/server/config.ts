import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section, Duration, Size, Port, Host, CidrList } from '../config/types.js';

export const ListenerConfig = Section(
  {
    host: Host('0.0.0.0', { description: 'Address to listen on.' }),
    port: Port(8080, { description: 'Port to listen on (0 picks a free port).' }),
  },
  { description: 'Where the main HTTP listener accepts connections.' },
);

export const ServerConfig = Section(
  {
    listen: ListenerConfig,
    trustedProxies: CidrList({
      description:
        'Peers (IPs or CIDRs) whose X-Forwarded-For / Forwarded headers are believed. Empty: the client IP is always the socket peer.',
    }),
    bodyLimit: Size('1MB', { description: 'Largest request body the gateway reads itself; larger bodies get 413. Proxied bodies stream through without it.' }),
    maxHeaderSize: Size('16KB', { description: 'Largest total size of request headers; larger get 431.' }),
    requestTimeout: Duration('30s', { description: 'Longest time to receive a whole request (slowloris guard).' }),
    headersTimeout: Duration('10s', { description: 'Longest time to receive the request headers.' }),
    keepAliveTimeout: Duration('5s', { description: 'Idle time before a keep-alive connection is closed.' }),
    maxRequestsPerSocket: Type.Integer({
      minimum: 0,
      default: 1000,
      description: 'Requests served on one keep-alive connection before it is closed (0: no limit).',
    }),
    maxConnections: Type.Integer({
      minimum: 0,
      default: 10_000,
      description:
        'Open connections one listener holds at most (per worker process); over it, new connections are closed on accept and counted in gatehouse_connections_refused_total. 0: no limit.',
    }),
    forwardedHeader: Type.Union([Type.Literal('auto'), Type.Literal('x-forwarded-for'), Type.Literal('forwarded')], {
      default: 'auto',
      description:
        'Which header the trusted proxies write. auto: whichever is present (when both are and disagree, the peer is used); naming one makes sure a client-sent copy of the other is ignored.',
    }),
    shutdownTimeout: Duration('10s', {
      description: 'On SIGTERM, how long in-flight requests may take to finish before the process closes anyway.',
    }),
    workers: Type.Union(
      [
        Type.Literal('auto'),
        Type.Integer({ minimum: 0, maximum: 256 }),
      ],
      {
        default: 'auto',
        description:
          'Processes serving the listeners (node:cluster; they share the ports, each with its own spool in <spool.dir>/worker-<i>; rate limits are shared by them, see docs/workers.md). "auto": one per CPU core (os.availableParallelism()), but 1 when tls.acme is enabled; 1: a single process, no cluster; 0: same as "auto".',
      },
    ),
    healthPath: Type.String({ default: '/healthz', pattern: '^/', description: 'Liveness endpoint on the main listener.' }),
    readyPath: Type.String({ default: '/readyz', pattern: '^/', description: 'Readiness endpoint on the main listener.' }),
  },
  { description: 'The main listener and connection hygiene.' },
);

export const AdminConfig = Section(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve the admin listener (metrics, admin API).' }),
    listen: Section(
      {
        host: Host('127.0.0.1', { description: 'Address of the admin listener. Keep it on loopback unless a token is set.' }),
        port: Port(9100, { description: 'Port of the admin listener (0 picks a free port).' }),
      },
      { description: 'Where the admin listener accepts connections.' },
    ),
    token: Type.String({
      default: '',
      description:
        'Bearer token for the admin API (use "${GATEHOUSE_ADMIN_TOKEN}"). Required when the admin listener is not on loopback.',
    }),
    hosts: Type.Array(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9.-]+$' }), {
      default: [],
      description:
        'Host names (no port) the admin listener answers to besides localhost, 127.x.x.x and [::1], when no token is set (DNS-rebinding guard; see docs/security.md).',
    }),
    metricsPath: Type.String({ default: '/metrics', pattern: '^/', description: 'Prometheus metrics endpoint.' }),
  },
  { description: 'The admin listener: /metrics and the admin API.' },
);

export const LogConfig = Section(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info', description: 'Log level; logs are JSON lines on stdout.' },
    ),
    access: Type.Union([Type.Boolean(), Type.Literal('json'), Type.Literal('combined'), Type.Literal('common')], {
      default: false,
      description:
        'One line per request on the main listener, whatever the level. true or "json": a JSON log line (event "access"): method, host, path without the query string and with personal identifiers in REST tuples redacted, route pattern, status, bytes, ms, route class, request id, user agent, the client IP as enrich.ip stores it, and the trace id when tracing is on. "combined" or "common": the text line of Apache and nginx, on the same stream, with the same path and IP rules (docs/operations.md).',
    }),
  },
  { description: 'Structured logging.' },
);

export type ServerConfig = StaticDecode<typeof ServerConfig>;
export type AdminConfig = StaticDecode<typeof AdminConfig>;
export type LogConfig = StaticDecode<typeof LogConfig>;
