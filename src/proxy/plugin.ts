import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { ProxyConfig } from './config.js';
import { proxyEvents } from './events.js';
import { gatewayErrorReplier } from './gateway-errors.js';
import type { ForwardHooks } from './forwarder.js';
import { registerProxyRoute } from './proxy-route.js';
import { UpstreamDirectory } from './upstream-directory.js';
import type { RootFallback } from '../server/root-fallback.js';

export interface ProxyPluginOptions {
  /** The decoded `proxy` config slice. */
  readonly config: ProxyConfig;
  /** The client address as resolved through trusted proxies (decides what X-Forwarded-For keeps). */
  readonly clientIp: (request: FastifyRequest) => string;
  readonly telemetry: Telemetry;
  /**
   * Path prefixes of other routes (the tracking routes: "/tr/v1", "/img/v1"...). Their registered methods win by
   * routing alone; these make any other method on them a 404 instead of a proxied request.
   */
  readonly reservedPrefixes?: readonly string[];
  /** Runs when an upstream answered, before the response is written (server-side page views). */
  readonly answered?: ForwardHooks['answered'];
  /** Lists the routes' upstream pools for the admin API; the plugin makes its own when none is given. */
  readonly directory?: UpstreamDirectory;
  /** Root short links, asked by a route on `/` about a one-segment GET/HEAD before it proxies one. */
  readonly shortLink?: RootFallback;
}

/**
 * The reverse proxy: one @fastify/http-proxy instance (routing, WebSockets) and one `Forwarder` per configured
 * route, class `proxy`. Register it after
 * the tracking and ops routes; find-my-way prefers a longer static prefix over a wildcard, so `/tr/v1/*` is
 * never captured by a proxy on `/`, whatever the order.
 */
export async function proxyPlugin(app: FastifyInstance, opts: ProxyPluginOptions): Promise<void> {
  const events = proxyEvents(opts.telemetry);
  const replyError = gatewayErrorReplier(opts.config.errorPages);
  const directory = opts.directory ?? new UpstreamDirectory();
  directory.registerMetrics(opts.telemetry);
  for (const route of opts.config.routes) {
    await app.register(async (scope) =>
      registerProxyRoute(scope, { route, clientIp: opts.clientIp, events, replyError, reservedPrefixes: opts.reservedPrefixes ?? [], answered: opts.answered, directory, ...(opts.shortLink ? { shortLink: opts.shortLink } : {}) }),
    );
  }
}

/**
 * True when a route claims every path of every host (`path: "/"`, no host). The static files plugin also
 * registers `/*` without a host, so both cannot be enabled at once: a config cross-check should say so.
 */
export function proxyClaimsRoot(config: ProxyConfig): boolean {
  return config.routes.some((r) => r.path === '/' && r.host === undefined);
}
