import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TrackContext } from './context.js';
import { recordEvents } from './record.js';
import { HttpError } from '../server/errors.js';

const PAGE_CLASSES = new Set(['static', 'proxy']);

/**
 * Server-side page views: a successful GET of a page served by Gatehouse (static or proxied) whose content type
 * matches `tracking.pageViews.match` is recorded as `ename: "pageview"` with origin `pageview`, so visitors
 * with ad blockers or without JavaScript are still counted. The page is served even if the event cannot be
 * stored (then the loss is counted as a rejection).
 */
export function pageViewHook(ctx: TrackContext) {
  const record = pageViewRecorder(ctx);
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    await record(request, reply);
    return payload;
  };
}

/**
 * The same check and write for a response whose status and headers are on the reply but not yet sent (the
 * proxy calls it when an upstream answered, since its responses skip `onSend`). Undefined when the response is
 * not a page view, so the common case costs no promise.
 */
export function pageViewRecorder(ctx: TrackContext): (request: FastifyRequest, reply: FastifyReply) => Promise<void> | undefined {
  const match = ctx.config.pageViews.match;
  const record = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      await recordEvents(ctx, request, reply, [{}], {
        route: 'pageview',
        origin: 'pageview',
        setCookies: true,
        defaults: { ename: 'pageview', etyp: 'page' },
        fixed: { url: `${request.protocol}://${request.host}${request.url}` },
      });
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      ctx.rejected({ reason: err.code.toLowerCase(), route: 'pageview' });
    }
  };
  return (request, reply) => {
    if (request.method !== 'GET' || reply.statusCode !== 200) return undefined;
    const cls = request.routeClass ?? request.routeOptions.config?.routeClass;
    if (!cls || !PAGE_CLASSES.has(cls)) return undefined;
    const type = String(reply.getHeader('content-type') ?? '');
    if (!match.some((m) => type.startsWith(m))) return undefined;
    return record(request, reply);
  };
}
