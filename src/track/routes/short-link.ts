import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TrackContext } from '../context.js';
import { parseQuery } from '../inputs.js';
import { recordOrCount } from './redirect.js';
import { parseUrl } from '../url.js';
import { dict } from '../dict.js';
import { setCheckedHeaders } from '../../server/checked-headers.js';
import { SLUG } from '../../server/root-fallback.js';

/**
 * Resolves `<prefix><slug>` to a stored destination: records the hit, then 302. Returns false when the path
 * is no short link, so the caller can go on (the root prefix shares the namespace with static files).
 */
export async function tryShortLink(ctx: TrackContext, request: FastifyRequest, reply: FastifyReply, slug: string): Promise<boolean> {
  if (!ctx.links || !SLUG.test(slug)) return false;
  const link = await ctx.links.resolve(slug, request.hostname);
  if (!link) return false;
  // As a browser will read it (WHATWG href: ASCII, percent-encoded), checked and set before the hit is stored.
  const location = parseUrl(link.url)?.href;
  if (!location) return false;
  setCheckedHeaders(reply, { location, 'cache-control': 'no-store' });
  const query = parseQuery(request.url);
  await recordOrCount(ctx, request, reply, { ...(query.ok ? query.values : dict<string>()), content: slug }, location, 'shortlink');
  reply.code(302).send();
  return true;
}

/** A dedicated prefix such as `/go/`: every slug under it is a short link or a 404. */
export async function shortLinkRoutes(app: FastifyInstance, ctx: TrackContext): Promise<void> {
  const prefix = ctx.config.routes.shortLinks;
  if (prefix === '/') return; // served by the site-root fallback, after static files
  app.get(`${prefix}:slug`, { config: { routeClass: 'shortlink' } }, async (request, reply) => {
    const { slug } = request.params as { slug: string };
    if (!(await tryShortLink(ctx, request, reply, slug))) return reply.callNotFound();
    return reply;
  });
}
