import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TrackContext } from '../../track/context.js';
import { HttpError, badRequest, unauthorized } from '../../server/errors.js';
import type { ProtocolsConfig } from '../config.js';
import { decodeJsonBody } from '../body.js';
import { atItem } from '../item-error.js';
import { recordProtocolEvents } from '../record.js';
import { asRecord } from '../values.js';
import { allSources } from './all.js';
import { sourceAuthenticator } from './auth.js';
import { sourcePreflights } from './preflight.js';
import type { SourceDefinition } from './definition.js';
import { findPath } from './json-path.js';
import { mapItem } from './map-item.js';

/**
 * Every enabled preset and configured source, on the same path as the other protocols: credentials, then the
 * body (decoded like theirs, same limits), then every item mapped (a batch with one bad item is refused whole),
 * then recordProtocolEvents (build → enrich → spool). The success answer is sent only once the events are
 * durable. Each path answers CORS preflights (preflight.ts).
 */
export async function sourceRoutes(app: FastifyInstance, ctx: TrackContext, config: ProtocolsConfig): Promise<void> {
  const sources = allSources(config);
  for (const source of sources) {
    const authenticate = sourceAuthenticator(source.auth);
    app.route({
      method: [...source.methods],
      url: source.path,
      config: { routeClass: 'tracking' },
      bodyLimit: config.bodyLimit,
      // Credentials are checked before the body is read: an unauthenticated sender costs no parsing.
      onRequest: async (request) => {
        if (authenticate(request)) return;
        ctx.rejected({ reason: 'unauthorized', route: routeOf(source) });
        throw unauthorized(`a valid credential is required for source "${source.name}"`);
      },
      handler: sourceHandler(source, ctx, config),
    });
  }
  sourcePreflights(app, ctx.config.cors, sources);
}

const routeOf = (source: SourceDefinition) => `source:${source.name}`;

function sourceHandler(source: SourceDefinition, ctx: TrackContext, config: ProtocolsConfig) {
  const route = routeOf(source);
  const limits = { maxParams: config.maxParams, maxValueLength: config.maxValueLength };
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = decodeJsonBody(request, config);
    const { items, batched } = itemsOf(body, source.batch, config.maxBatch);
    const mapContext = { root: body, pathParams: (request.params ?? {}) as Record<string, string> };
    let mapped;
    try {
      mapped = items.map((item, i) => atItem(batched ? i : undefined, () => mapItem(item, source, mapContext)));
    } catch (err) {
      if (err instanceof HttpError && err.statusCode === 400) ctx.rejected({ reason: 'invalid_fields', route }, {}, items.length);
      throw err;
    }
    const outcome = await recordProtocolEvents(ctx, request, mapped, { route, limits });
    const answer = source.reply(outcome.kind === 'accepted' ? outcome.ids.length : 0);
    reply.code(answer.status);
    return answer.body === undefined ? reply.send() : answer.body;
  };
}

/** The events of a body, by the source's `batch` setting. */
function itemsOf(body: unknown, batch: string, maxBatch: number): { items: unknown[]; batched: boolean } {
  let items: unknown[];
  if (batch === 'auto' || batch === 'none') {
    if (Array.isArray(body) && batch === 'auto') items = body;
    else if (asRecord(body)) return { items: [body], batched: false };
    else throw badRequest('INVALID_PAYLOAD', batch === 'auto' ? 'the body must be a JSON object or an array of objects' : 'the body must be a JSON object');
  } else {
    const found = findPath(body, batch)?.value;
    if (!Array.isArray(found)) throw badRequest('INVALID_PAYLOAD', `${JSON.stringify(batch)} must be an array of events`);
    items = found;
  }
  if (items.length === 0) throw badRequest('INVALID_PAYLOAD', 'no events in the body');
  if (items.length > maxBatch) throw badRequest('BATCH_TOO_LARGE', `at most ${maxBatch} events per request`, { maxBatch });
  return { items, batched: true };
}
