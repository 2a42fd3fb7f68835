import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section, Strict, Duration } from '../config/types.js';

/** An exact host name or a one-label wildcard ("*.example.com"); matched case-insensitively, any port. */
const HOST_PATTERN = '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$';

export const ProxyTimeouts = Section(
  {
    connect: Duration('5s', { description: 'Longest time to open a connection to an upstream; past it the upstream is marked down and the client gets 504.' }),
    response: Duration('30s', { description: 'Longest wait for the upstream response headers after the request was sent; past it the client gets 504.' }),
    idle: Duration('60s', {
      description: 'Longest silence between two chunks of the upstream response body; past it the response is cut off.',
    }),
  },
  { description: 'Upstream timeouts of this route.' },
);

const UPSTREAM_URL = '^https?://[^/?#]+/?$';

/** One backend: its origin alone (weight 1), or with a weight. */
const Upstream = Type.Union([
  Type.String({ pattern: UPSTREAM_URL, description: 'A backend origin, weight 1.' }),
  Strict(
    {
      url: Type.String({ pattern: UPSTREAM_URL, description: 'The backend origin ("http://10.0.0.5:3000").' }),
      weight: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 1000, description: 'Share of the requests relative to the others (3 gets three times what 1 gets). Omitted: 1.' }),
      ),
    },
    { description: 'A weighted backend.' },
  ),
]);

export const LoadBalancing = Section(
  {
    policy: Type.Union([Type.Literal('round_robin'), Type.Literal('least_conn'), Type.Literal('ip_hash'), Type.Literal('cookie')], {
      default: 'round_robin',
      description:
        'How an upstream is chosen: `round_robin` (in turn, by weight), `least_conn` (fewest requests in flight per weight), `ip_hash` (the client IP, as resolved through trusted proxies, always maps to the same upstream while it is up), `cookie` (the first answer sets a cookie naming the upstream; later requests carrying it go there while it is up).',
    }),
    cookie: Section(
      {
        name: Type.String({ pattern: '^[A-Za-z0-9_-]+$', default: 'gh_upstream', description: 'Name of the sticky cookie (policy `cookie`).' }),
        maxAge: Duration('0s', { description: 'Lifetime of the sticky cookie; 0s: a session cookie.' }),
      },
      { description: 'The sticky cookie of policy `cookie`. Its value is a hash that names the upstream without revealing its address.' },
    ),
  },
  { description: 'How requests are spread over the upstreams of this route.' },
);

export const HealthCheck = Strict(
  {
    path: Type.String({ pattern: '^/', description: 'Path probed with GET on each upstream ("/healthz").' }),
    interval: Duration('10s', { description: 'Time between two probes of one upstream.' }),
    timeout: Duration('2s', { description: 'Longest wait for a probe answer; past it the probe failed.' }),
    expectStatus: Type.String({
      pattern: '^([1-5][0-9][0-9]|[1-5]xx)$',
      default: '2xx',
      description: 'Status a healthy upstream answers: exact ("200") or a class ("2xx").',
    }),
    healthyThreshold: Type.Integer({ minimum: 1, default: 2, description: 'Consecutive passed probes that bring an unhealthy upstream back into the rotation.' }),
    unhealthyThreshold: Type.Integer({ minimum: 1, default: 3, description: 'Consecutive failed probes that take an upstream out of the rotation.' }),
  },
  {
    description:
      'Active health checks: each upstream is probed in the background and leaves the rotation before users meet its errors. Upstreams start in the rotation. Omitted: only passive checks (retryAfterFailure).',
  },
);

export const ProxyRoute = Strict(
  {
    host: Type.Optional(
      Type.String({
        pattern: HOST_PATTERN,
        description: 'Only requests for this Host: an exact name ("app.example.com") or a one-label wildcard ("*.example.com"). Omitted: any host.',
      }),
    ),
    path: Type.String({
      pattern: '^/',
      description: 'Path prefix the route owns ("/api" owns "/api" and "/api/..."; "/" owns everything no other route claims).',
    }),
    upstreams: Type.Array(Upstream, {
      minItems: 1,
      description:
        'Backend origins ("http://127.0.0.1:3000", "https://app.internal"), or `{ "url", "weight" }` objects; requests are spread over those in the rotation by `loadBalancing`. A path on the backend is set with rewritePrefix.',
    }),
    loadBalancing: LoadBalancing,
    healthCheck: Type.Optional(HealthCheck),
    maxConnectionsPerUpstream: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'Most connections open to one upstream at a time; requests past it go to another upstream with room, or wait for a free connection. 0: no cap.',
    }),
    rewritePrefix: Type.Optional(
      Type.String({
        pattern: '^/',
        description: 'Replaces `path` in the forwarded URL ("/api" + rewritePrefix "/v2" sends "/api/x" as "/v2/x"). Omitted: the path is forwarded unchanged.',
      }),
    ),
    websocket: Type.Boolean({ default: true, description: 'Also proxy WebSocket upgrades on this route.' }),
    timeouts: ProxyTimeouts,
    retryAfterFailure: Duration('10s', {
      description: 'How long an upstream that refused or timed out a connection is left out of the rotation before it is tried again.',
    }),
  },
  { description: 'One proxied site or path.' },
);

export const ProxyErrorPages = Section(
  {
    negotiate: Type.Boolean({
      default: true,
      description: 'Answer 502/504 with an HTML page when the client prefers text/html (browsers); else always JSON.',
    }),
    badGateway: Type.String({ default: '', description: 'HTML file shown for 502 (upstream unreachable). Empty: a built-in page.' }),
    gatewayTimeout: Type.String({ default: '', description: 'HTML file shown for 504 (upstream too slow). Empty: a built-in page.' }),
  },
  { description: 'What clients see when an upstream fails.' },
);

export const ProxyConfig = Section(
  {
    routes: Type.Array(ProxyRoute, {
      default: [],
      description: 'Proxied routes. Tracking and ops paths always win over them; a route with a host wins over one without.',
    }),
    errorPages: ProxyErrorPages,
  },
  { description: 'Reverse proxy to app backends, by host and path prefix, WebSockets included.' },
);

export type ProxyRoute = StaticDecode<typeof ProxyRoute>;
export type HealthCheck = StaticDecode<typeof HealthCheck>;
export type LoadBalancing = StaticDecode<typeof LoadBalancing>;
export type ProxyConfig = StaticDecode<typeof ProxyConfig>;
