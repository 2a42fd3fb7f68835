import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TrackContext } from '../../track/context.js';
import { parseQuery } from '../../track/inputs.js';
import { badRequest, unauthorized } from '../../server/errors.js';
import type { ProtocolsConfig } from '../config.js';
import { decodeDataParam, decodeJsonBody } from '../body.js';
import { atItem } from '../item-error.js';
import { keyMatcher } from '../keys.js';
import { recordProtocolEvents } from '../record.js';
import { captureMessages, mapPostHogEvent } from './map.js';
import { postHogRemoteConfigRoutes } from './remote-config.js';

/**
 * The PostHog capture API: /capture, /batch, /e, /i/v0/e (each with and without a trailing slash), JSON, gzip
 * (by its magic bytes, Content-Encoding or `compression=gzip-js`), lz64 and `data=<base64>` forms; GET with
 * `data=` for image beacons. Plus the remote config and flags documents posthog-js fetches.
 */
export async function postHogRoutes(app: FastifyInstance, ctx: TrackContext, config: ProtocolsConfig): Promise<void> {
  const { projectKeys } = config.posthog;
  const findKey = keyMatcher(projectKeys, (k) => k);
  const limits = { maxParams: config.maxParams, maxValueLength: config.maxValueLength };

  const handle = async (request: FastifyRequest, body: unknown) => {
    const { key, messages } = captureMessages(body, config.maxBatch);
    if (!key || (projectKeys.length > 0 && !findKey(key))) {
      ctx.rejected({ reason: 'unauthorized', route: 'posthog' });
      throw unauthorized(key ? 'unknown project API key' : 'a project API key is required (api_key)');
    }
    const items = messages.map((m, i) => atItem(messages.length > 1 ? i : undefined, () => mapPostHogEvent(m)));
    await recordProtocolEvents(ctx, request, items, { route: 'posthog', limits });
    return { status: 1 };
  };

  const routes = new Set(config.posthog.paths.flatMap((p) => [p.replace(/\/$/, '') || '/', p.endsWith('/') ? p : `${p}/`]));
  for (const path of routes) {
    app.post(path, { config: { routeClass: 'tracking' }, bodyLimit: config.bodyLimit }, (request) => handle(request, decodeJsonBody(request, config)));
    app.get(path, { config: { routeClass: 'tracking' } }, (request) => {
      const query = parseQuery(request.url);
      if (!query.ok || query.values.data === undefined) throw badRequest('INVALID_PAYLOAD', 'a GET capture needs the payload in "data"');
      return handle(request, decodeDataParam(query.values.data, query.values.compression, config));
    });
  }
  postHogRemoteConfigRoutes(app, config);
}
