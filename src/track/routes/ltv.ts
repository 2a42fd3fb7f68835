import type { FastifyInstance } from 'fastify';
import type { TrackContext } from '../context.js';
import { recordEvents } from '../record.js';
import { applyCors, preflight } from '../cors.js';
import { bodyInputs } from './track.js';
import { routePrefixes } from './layout.js';
import { badRequest } from '../../server/errors.js';

/**
 * `/tlv/v1/` and `/tr/v1/ltv/`: payments (lifetime value) in the upstream tracker's shape, `{vid, uid, amt,
 * currency, orid, ...}` or `{vid, uid, ..., payments: [{amt, currency, orid}, ...]}`. Each payment becomes one
 * event (`ename` "payment", `etyp` "ltv" unless sent) carrying the body's other fields; `amt`, `currency`, `orid`
 * land in params. A client's claim like any tracked event, not a ledger: it goes through the same checks.
 */
export async function ltvRoutes(app: FastifyInstance, ctx: TrackContext): Promise<void> {
  const config = { routeClass: 'tracking' };
  const bodyLimit = ctx.config.limits.bodyLimit;
  for (const path of routePrefixes(ctx.config.routes, 'ltv').flatMap((p) => [p, `${p}/`])) {
    app.post(path, { config, bodyLimit }, async (request, reply) => {
      applyCors(ctx.config.cors, request, reply);
      const { maxBatch } = ctx.config.limits;
      const inputs = bodyInputs(request.body, maxBatch).flatMap(payments);
      if (inputs.length > maxBatch) throw badRequest('BATCH_TOO_LARGE', `at most ${maxBatch} payments per request`, { limit: maxBatch });
      const outcome = await recordEvents(ctx, request, reply, inputs, {
        route: 'ltv',
        origin: 'track',
        setCookies: true,
        defaults: { ename: 'payment', etyp: 'ltv' },
      });
      reply.header('cache-control', 'no-store');
      return outcome.kind === 'accepted' ? { ok: true, ids: outcome.ids } : { ok: true, ids: [], dropped: outcome.reason };
    });
    app.options(path, { config }, (request, reply) => preflight(ctx.config.cors, request, reply));
  }
}

/** One input per payment: the body's fields, then the payment's own. */
export function payments(body: Record<string, unknown>): Record<string, unknown>[] {
  const { payments: list, ...rest } = body;
  if (list === undefined) return [body];
  if (!Array.isArray(list) || list.length === 0) throw badRequest('INVALID_EVENT', '"payments" must be a non-empty array of objects');
  return list.map((p, i) => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw badRequest('INVALID_EVENT', `payments[${i}] is not a JSON object`);
    return { ...rest, ...(p as Record<string, unknown>) };
  });
}
