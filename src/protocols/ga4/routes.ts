import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TrackContext } from '../../track/context.js';
import { parseQuery } from '../../track/inputs.js';
import { HttpError, unauthorized } from '../../server/errors.js';
import type { ProtocolsConfig } from '../config.js';
import { decodeJsonBody } from '../body.js';
import { keyMatcher } from '../keys.js';
import { recordProtocolEvents } from '../record.js';
import { mapGa4Body } from './map.js';
import { unreadableBody, validateGa4Body, type ValidationMessage } from './validate.js';

/**
 * GA4 Measurement Protocol: POST /mp/collect?measurement_id=G-...&api_secret=... (or firebase_app_id).
 * Unlike Google, which answers 2xx to anything, a bad secret is a 401 and a bad body a 400 with the reason.
 * `/debug/mp/collect` validates like Google's validation server (./validate.ts) and stores nothing.
 */
export async function ga4Routes(app: FastifyInstance, ctx: TrackContext, config: ProtocolsConfig): Promise<void> {
  const findSecret = keyMatcher(config.ga4.secrets, (s) => `${s.measurementId}\n${s.apiSecret}`);
  const limits = { maxParams: config.maxParams, maxValueLength: config.maxValueLength };
  for (const path of config.ga4.paths) {
    app.post(path, { config: { routeClass: 'tracking' }, bodyLimit: config.bodyLimit }, async (request, reply) => {
      const query = parseQuery(request.url);
      const values = query.ok ? query.values : {};
      const id = values.measurement_id ?? values.firebase_app_id;
      if (!id || !values.api_secret || !findSecret(`${id}\n${values.api_secret}`)) {
        ctx.rejected({ reason: 'unauthorized', route: 'ga4' });
        throw unauthorized('a known measurement_id (or firebase_app_id) with its api_secret is required');
      }
      const items = mapGa4Body(decodeJsonBody(request, config), config.maxBatch);
      await recordProtocolEvents(ctx, request, items, { route: 'ga4', limits });
      return reply.code(204).send();
    });
    app.post(`/debug${path}`, { config: { routeClass: 'tracking' }, bodyLimit: config.bodyLimit }, async (request) => ({
      validationMessages: debugMessages(request, config),
    }));
  }
}

/**
 * The validation server's body: Google checks neither the measurement id nor the secret there (its docs say so),
 * and reports an unreadable body as a validation message rather than an HTTP error. Nothing is stored.
 */
function debugMessages(request: FastifyRequest, config: ProtocolsConfig): ValidationMessage[] {
  let body: unknown;
  try {
    body = decodeJsonBody(request, config);
  } catch (err) {
    if (err instanceof HttpError && err.statusCode === 400) return unreadableBody(err.message);
    throw err;
  }
  return validateGa4Body(body);
}
