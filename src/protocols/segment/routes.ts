import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TrackContext } from '../../track/context.js';
import { badRequest, unauthorized } from '../../server/errors.js';
import type { ProtocolsConfig } from '../config.js';
import { decodeJsonBody } from '../body.js';
import { basicUser, keyMatcher } from '../keys.js';
import { recordProtocolEvents } from '../record.js';
import { asRecord, text, type Json } from '../values.js';
import { atItem } from '../item-error.js';
import { segmentSettingsRoute } from './settings.js';
import { SEGMENT_TYPES, isSegmentType, mapSegmentMessage, type SegmentType } from './map.js';

/**
 * The Segment HTTP tracking API (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/):
 * <prefix>/track, /identify, /page, /screen, /group, /alias and /batch, the write key as the basic-auth user.
 * Context fields a client sets (context.ip, context.userAgent) are believed only for a key configured as a
 * server's (`trustContext`), sent over basic auth: a browser write key is public.
 */
export async function segmentRoutes(app: FastifyInstance, ctx: TrackContext, config: ProtocolsConfig): Promise<void> {
  const segment = config.segment;
  const findKey = keyMatcher(segment.writeKeys, (k) => k.key);
  const limits = { maxParams: config.maxParams, maxValueLength: config.maxValueLength };

  const authenticate = (request: FastifyRequest, body: Json) => {
    const fromHeader = findKey(basicUser(request.headers.authorization));
    if (fromHeader) return { name: fromHeader.name, trust: fromHeader.trustContext };
    const fromBody = findKey(text(body.writeKey));
    if (fromBody) return { name: fromBody.name, trust: false };
    ctx.rejected({ reason: 'unauthorized', route: 'segment' });
    throw unauthorized('a valid Segment write key is required (HTTP basic auth user name)');
  };

  const handle = (type: SegmentType | 'batch') => async (request: FastifyRequest) => {
    const body = asRecord(decodeJsonBody(request, config));
    if (!body) throw badRequest('INVALID_PAYLOAD', 'the body must be a JSON object');
    const key = authenticate(request, body);
    const messages = type === 'batch' ? batchOf(body, config.maxBatch) : [{ ...body, type }];
    const batchContext = asRecord(body.context);
    const items = messages.map((m, i) => {
      if (!isSegmentType(m.type)) {
        throw badRequest('INVALID_EVENT', `batch item ${i}: "type" must be one of ${SEGMENT_TYPES.join(', ')}`);
      }
      return atItem(type === 'batch' ? i : undefined, () =>
        mapSegmentMessage(m, m.type as SegmentType, { trust: key.trust, ...(batchContext ? { batchContext } : {}) }),
      );
    });
    const outcome = await recordProtocolEvents(ctx, request, items, { route: 'segment', limits });
    request.log.debug({ writeKey: key.name, outcome: outcome.kind }, 'segment messages');
    return { success: true };
  };

  const base = segment.prefix.replace(/\/$/, '');
  for (const type of [...SEGMENT_TYPES, 'batch'] as const) {
    app.post(`${base}/${type}`, { config: { routeClass: 'tracking' }, bodyLimit: config.bodyLimit }, handle(type));
  }
  // analytics.js's short paths (/v1/t, /v1/p, ...) map onto the same handlers.
  const short: Record<string, SegmentType> = { t: 'track', i: 'identify', p: 'page', s: 'screen', g: 'group', a: 'alias' };
  for (const [path, type] of Object.entries(short)) {
    app.post(`${base}/${path}`, { config: { routeClass: 'tracking' }, bodyLimit: config.bodyLimit }, handle(type));
  }
  app.post(`${base}/b`, { config: { routeClass: 'tracking' }, bodyLimit: config.bodyLimit }, handle('batch'));
  segmentSettingsRoute(app, config, ctx.rejected);
}

function batchOf(body: Json, maxBatch: number): Json[] {
  const batch = body.batch;
  if (!Array.isArray(batch) || batch.length === 0) throw badRequest('INVALID_PAYLOAD', '"batch" must be a non-empty array of messages');
  if (batch.length > maxBatch) throw badRequest('BATCH_TOO_LARGE', `at most ${maxBatch} messages per batch`, { maxBatch });
  return batch.map((m, i) => {
    const message = asRecord(m);
    if (!message) throw badRequest('INVALID_EVENT', `batch item ${i} is not a JSON object`);
    return message;
  });
}
