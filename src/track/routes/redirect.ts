import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TrackContext } from '../context.js';
import { recordEvents } from '../record.js';
import { parseQuery } from '../inputs.js';
import { routePrefixes } from './layout.js';
import { checkRedirect } from '../links/redirect-policy.js';
import { HttpError, errorBody } from '../../server/errors.js';
import { wantsHtml } from '../../server/error-handler.js';
import { setCheckedHeaders } from '../../server/checked-headers.js';

/**
 * `/rdr/v1/?url=...`: records a click, then 302s to the destination — only to an allowlisted host or a
 * destination signed by this gateway. Anything else is a 400 page: no open redirect.
 */
export async function redirectRoutes(app: FastifyInstance, ctx: TrackContext): Promise<void> {
  for (const path of routePrefixes(ctx.config.routes, 'redirect').flatMap((p) => [p, `${p}/`])) {
    app.get(path, { config: { routeClass: 'redirect' } }, async (request, reply) => {
      const query = parseQuery(request.url);
      const values = query.ok ? query.values : {};
      const verdict = checkRedirect(values.url, values.sig, ctx.config.redirects);
      if (!query.ok || !verdict.ok) {
        const reason = verdict.ok ? 'invalid query' : verdict.reason;
        ctx.rejected({ reason: 'redirect_refused', route: 'redirect' }, { why: reason });
        return refuse(request, reply, reason);
      }
      const { url: _url, sig: _sig, ...fields } = values;
      // The Location is checked and set before the click is stored: once stored, the answer is the redirect.
      setCheckedHeaders(reply, { location: verdict.url, 'cache-control': 'no-store' });
      await recordOrCount(ctx, request, reply, fields, verdict.url, 'redirect');
      return reply.code(302).send();
    });
  }
}

/**
 * A visitor following a link must reach it even when the click cannot be stored (spool full): the click is
 * then counted as rejected, never silently lost. Bad tracking fields do not block the redirect either.
 */
export async function recordOrCount(
  ctx: TrackContext,
  request: FastifyRequest,
  reply: FastifyReply,
  fields: Record<string, string>,
  destination: string,
  route: 'redirect' | 'shortlink',
): Promise<void> {
  try {
    await recordEvents(ctx, request, reply, [fields], {
      route,
      origin: route,
      setCookies: true,
      defaults: { ename: 'click', etyp: route },
      fixed: { url: destination },
    });
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    // Too large events were counted where they were found (prepareEvents).
    if (err.statusCode !== 400 && err.code !== 'EVENT_TOO_LARGE') ctx.rejected({ reason: err.code.toLowerCase(), route });
  }
}

function refuse(request: FastifyRequest, reply: FastifyReply, reason: string) {
  reply.code(400).header('cache-control', 'no-store');
  if (wantsHtml(request)) {
    return reply
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><html><head><meta charset="utf-8"><title>Link not allowed</title></head><body><h1>This link cannot be followed</h1><p>${escapeHtml(reason)}.</p></body></html>\n`);
  }
  return reply.send(errorBody('REDIRECT_REFUSED', reason));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
