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
    upstreams: Type.Array(Type.String({ pattern: '^https?://[^/?#]+/?$' }), {
      minItems: 1,
      description:
        'Backend origins ("http://127.0.0.1:3000", "https://app.internal"); requests are spread round-robin over those not marked down. A path on the backend is set with rewritePrefix.',
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
export type ProxyConfig = StaticDecode<typeof ProxyConfig>;
