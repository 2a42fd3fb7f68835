import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TrackContext } from '../context.js';
import { parsePathTuples, parseQuery, type InputResult } from '../inputs.js';
import { recordEvents } from '../record.js';
import { dict } from '../dict.js';
import { applyCors, preflight } from '../cors.js';
import { routePrefixes } from './layout.js';
import { HttpError, badRequest } from '../../server/errors.js';

/**
 * `/tr/v1/` (and `/tr/v1/tr/`, see ./layout.ts): events from browsers and apps. GET with a query string or REST path tuples
 * (`/tr/v1/vid/ID/ename/signup`), POST with a JSON object or an array (a batch), as application/json or
 * text/plain (sendBeacon). Answers `{ok, ids}` once the events are durable.
 */
export async function trackRoutes(app: FastifyInstance, ctx: TrackContext): Promise<void> {
  const config = { routeClass: 'tracking' };
  const bodyLimit = ctx.config.limits.bodyLimit;
  const opts = { route: 'track', origin: 'track', setCookies: true } as const;

  const handlePost = async (request: FastifyRequest, reply: FastifyReply) => {
    applyCors(ctx.config.cors, request, reply);
    const inputs = bodyInputs(request.body, ctx.config.limits.maxBatch);
    return respond(reply, await recordEvents(ctx, request, reply, inputs, opts));
  };

  for (const prefix of routePrefixes(ctx.config.routes, 'track')) {
    const handleGet = async (request: FastifyRequest, reply: FastifyReply) => {
      applyCors(ctx.config.cors, request, reply);
      const input = textInput(request.url, prefix);
      return respond(reply, await recordEvents(ctx, request, reply, [input], opts));
    };
    for (const path of [prefix, `${prefix}/`, `${prefix}/*`]) {
      app.get(path, { config }, handleGet);
      app.post(path, { config, bodyLimit }, handlePost);
      app.options(path, { config }, (request, reply) => preflight(ctx.config.cors, request, reply));
    }
  }
}

/** Query string plus REST path tuples after the prefix; a key in both is an error. */
export function textInput(url: string, prefix: string): Record<string, string> {
  const path = url.split('?')[0] ?? '';
  const rest = path.slice(prefix.length);
  const results: InputResult[] = [parseQuery(url)];
  if (rest.replace(/\//g, '') !== '') results.push(parsePathTuples(rest));
  const merged = dict<string>();
  for (const r of results) {
    if (!r.ok) throw new HttpError('INVALID_EVENT', r.errors.map((e) => `${e.field} ${e.message}`).join('; '), { fields: r.errors });
    for (const [k, v] of Object.entries(r.values)) {
      if (Object.hasOwn(merged, k)) throw badRequest('INVALID_EVENT', `${k} appears in both the path and the query`);
      merged[k] = v;
    }
  }
  return merged;
}

export function bodyInputs(body: unknown, maxBatch: number): Record<string, unknown>[] {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) throw badRequest('EMPTY_BATCH', 'the batch is empty');
  if (items.length > maxBatch) throw badRequest('BATCH_TOO_LARGE', `a batch holds at most ${maxBatch} events`, { limit: maxBatch });
  const bad = items.findIndex((i) => typeof i !== 'object' || i === null || Array.isArray(i));
  if (bad >= 0) {
    throw badRequest('INVALID_EVENT', Array.isArray(body) ? `item ${bad} is not a JSON object` : 'the body must be a JSON object or an array of objects');
  }
  return items as Record<string, unknown>[];
}

function respond(reply: FastifyReply, outcome: Awaited<ReturnType<typeof recordEvents>>) {
  reply.header('cache-control', 'no-store');
  if (outcome.kind === 'dropped') return { ok: true, ids: [], dropped: outcome.reason };
  return { ok: true, ids: outcome.ids };
}
