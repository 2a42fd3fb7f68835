import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProxyConfig } from '../proxy/config.js';
import { withForwardHeaders } from '../proxy/forward-headers.js';
import { Forwarder, type ForwardHooks } from '../proxy/forwarder.js';
import { classifyUpstreamError, gatewayErrorReplier } from '../proxy/gateway-errors.js';
import type { ExperimentsConfig, ExperimentVariant } from './config.js';

export interface VariantRoutingOptions {
  readonly errorPages: ProxyConfig['errorPages'];
  readonly clientIp: (request: FastifyRequest) => string;
  /** Runs when the variant's upstream answered (server-side page views), as for proxy routes. */
  readonly answered?: ForwardHooks['answered'];
}

interface VariantRoute {
  readonly origin: string;
  readonly forwarder: Forwarder;
  readonly rewrite: ExperimentVariant['rewrite'];
}

export interface VariantRouting {
  /** Serves the request from the upstream of the first routed variant among `keys` ("exp:variant"); undefined when none is routed. */
  forward(request: FastifyRequest, reply: FastifyReply, keys: readonly string[]): Promise<void> | undefined;
  close(): Promise<void>;
}

/**
 * Variants with their own `upstream`, served through the proxy's own Forwarder (same header handling,
 * streaming, timeouts and error pages as a proxy route), one keep-alive agent per routed variant. `forward`
 * runs in a `preHandler`, where a proxy route's body is still the unread request stream; its promise settles
 * once the response is written or answered with an error, so Fastify runs no handler after it.
 */
export function variantRouting(config: ExperimentsConfig, options: VariantRoutingOptions): VariantRouting {
  const routes = new Map<string, VariantRoute>();
  for (const exp of config.list) {
    for (const v of exp.variants) {
      if (!v.upstream) continue;
      // The upstream's redirects into the rewritten prefix are mapped back, as a proxy route's are.
      const location = v.rewrite ? { from: v.rewrite.to, to: v.rewrite.from } : undefined;
      routes.set(`${exp.name}:${v.name}`, { origin: new URL(v.upstream).origin, forwarder: new Forwarder(config.timeouts, location), rewrite: v.rewrite });
    }
  }
  const replyError = gatewayErrorReplier(options.errorPages);

  const send = (route: VariantRoute, request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const path = route.rewrite ? rewritten(request.url, route.rewrite) : request.url;
    const headers = withForwardHeaders(request, Forwarder.requestHeaders(request, route.origin), options.clientIp(request));
    return new Promise<void>((resolve) => {
      reply.raw.once('close', () => resolve());
      route.forwarder.forward(request, reply, { origin: route.origin, path, headers }, {
        ...(options.answered ? { answered: options.answered } : {}),
        failed: (error) => {
          replyError(request, reply, classifyUpstreamError(error));
          resolve();
        },
      });
    });
  };

  return {
    forward(request, reply, keys) {
      if (routes.size === 0) return undefined;
      for (const key of keys) {
        const route = routes.get(key);
        if (route) return send(route, request, reply);
      }
      return undefined;
    },
    close: async () => void (await Promise.all([...routes.values()].map((r) => r.forwarder.close()))),
  };
}

/** "/pricing/x?y" with from "/pricing", to "/pricing-v2" → "/pricing-v2/x?y"; a path outside the prefix stays. */
export function rewritten(url: string, rewrite: { from: string; to: string }): string {
  const from = rewrite.from.replace(/\/+$/, '');
  const rest = url.slice(from.length);
  const inside = url.startsWith(from) && (rest === '' || rest.startsWith('/') || rest.startsWith('?'));
  if (!inside) return url;
  const to = rewrite.to.replace(/\/+$/, '');
  return `${to}${rest}` || '/';
}
