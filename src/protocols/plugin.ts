import type { FastifyInstance } from 'fastify';
import type { TrackContext } from '../track/context.js';
import { applyCors, preflightEveryRoute } from '../track/cors.js';
import type { ProtocolsConfig } from './config.js';
import { registerRawBodyParser } from './body.js';
import { segmentRoutes } from './segment/routes.js';
import { snowplowRoutes } from './snowplow/routes.js';
import { postHogRoutes } from './posthog/routes.js';
import { ga4Routes } from './ga4/routes.js';
import { sourceRoutes } from './sources/routes.js';

export interface ProtocolsPluginOptions {
  readonly config: ProtocolsConfig;
  readonly track: TrackContext;
}

/**
 * Every enabled foreign protocol, in one encapsulated scope: its own body parser (bytes; each protocol
 * decodes its forms) and the tracking CORS policy, since browser SDKs (posthog-js, the Snowplow JS tracker)
 * post cross-origin. Registered after the tracking routes, so Gatehouse's own paths win.
 */
export async function protocolsPlugin(app: FastifyInstance, { config, track }: ProtocolsPluginOptions): Promise<void> {
  registerRawBodyParser(app);
  app.addHook('onRequest', async (request, reply) => {
    applyCors(track.config.cors, request, reply);
  });
  const addPreflights = preflightEveryRoute(app, track.config.cors);
  if (config.segment.enabled) await segmentRoutes(app, track, config);
  if (config.snowplow.enabled) await snowplowRoutes(app, track, config);
  if (config.posthog.enabled) await postHogRoutes(app, track, config);
  if (config.ga4.enabled) await ga4Routes(app, track, config);
  await sourceRoutes(app, track, config);
  // After every route, the sources' own preflights included (preflightEveryRoute leaves those alone).
  addPreflights();
}
