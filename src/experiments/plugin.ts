import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TrackContext } from '../track/context.js';
import type { ExperimentsConfig } from './config.js';
import { experimentsHook } from './edge-hook.js';
import { variantRouting, type VariantRoutingOptions } from './variant-routing.js';

export interface ExperimentsOptions extends VariantRoutingOptions {
  readonly config: ExperimentsConfig;
  readonly track: TrackContext;
}

/**
 * Experiments on the public app: assignment, header, cookie and exposure in `onRequest`; a routed variant is
 * served from its own upstream in `preHandler`. Call it right before the proxy and static routes are
 * registered: hooks reach only the routes registered after them, so tracking and ops routes are never assigned.
 */
export function installExperiments(app: FastifyInstance, options: ExperimentsOptions): void {
  const assigned = new WeakMap<FastifyRequest, string[]>();
  app.addHook('onRequest', experimentsHook(options.config, options.track, assigned));
  const routing = variantRouting(options.config, options);
  app.addHook('preHandler', async (request, reply) => {
    const keys = assigned.get(request);
    // A WebSocket upgrade stays on the route's own upstreams (the Forwarder speaks plain HTTP only).
    if (keys && request.headers.upgrade === undefined) await routing.forward(request, reply, keys);
  });
  app.addHook('onClose', () => routing.close());
}
