import type { FastifyInstance } from 'fastify';
import type { TrackContext } from './context.js';
import { registerJsonParsers } from './body.js';
import { trackRoutes } from './routes/track.js';
import { serverEventRoutes } from './routes/server-event.js';
import { pixelRoutes } from './routes/pixel.js';
import { redirectRoutes } from './routes/redirect.js';
import { shortLinkRoutes } from './routes/short-link.js';
import { ltvRoutes } from './routes/ltv.js';
import { applyCors, preflightEveryRoute } from './cors.js';

/** All tracking routes. Registered before proxy and static routes, so tracking paths always win. */
export async function trackingPlugin(app: FastifyInstance, ctx: TrackContext): Promise<void> {
  registerJsonParsers(app);
  // Every answer of a tracking route carries the CORS headers (a browser reads /tr/v1/'s ids, /str/v1/'s id).
  app.addHook('onRequest', async (request, reply) => {
    applyCors(ctx.config.cors, request, reply);
  });
  const addPreflights = preflightEveryRoute(app, ctx.config.cors);
  await trackRoutes(app, ctx);
  await serverEventRoutes(app, ctx);
  await pixelRoutes(app, ctx);
  await redirectRoutes(app, ctx);
  await ltvRoutes(app, ctx);
  await shortLinkRoutes(app, ctx);
  addPreflights();
}
