import type { FastifyInstance } from 'fastify';
import type { LinkResolver } from '../track/links/link-resolver.js';
import { isWebUrl } from '../track/links/redirect-policy.js';
import { trackedLink } from '../track/links/sign.js';
import { SLUG } from '../server/root-fallback.js';
import { badRequest, notFound, HttpError } from '../server/errors.js';

/**
 * `/admin/links`: short links (create or replace, list, delete) and `/admin/links/sign` for signed
 * tracked-redirect links. Changes take effect at once on this gateway (the resolver cache is updated).
 */
export async function adminLinkRoutes(
  app: FastifyInstance,
  opts: { links?: LinkResolver; signingKey: string; redirectPrefix: string },
): Promise<void> {
  const config = { routeClass: 'admin' };
  const store = () => {
    if (!opts.links) throw new HttpError('LINKS_UNAVAILABLE', 'short links need a link store (DuckDB or Cassandra)');
    return opts.links;
  };

  app.get('/admin/links', { config }, async () => ({ links: await store().store.list() }));

  app.post('/admin/links', { config }, async (request, reply) => {
    const body = request.body as { slug?: unknown; url?: unknown; host?: unknown } | undefined;
    const slug = body?.slug;
    const url = body?.url;
    if (typeof slug !== 'string' || !SLUG.test(slug)) throw badRequest('INVALID_SLUG', 'slug must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-"');
    if (typeof url !== 'string' || !isWebUrl(url)) throw badRequest('INVALID_URL', 'url must be an absolute http(s) URL without credentials');
    if (body?.host !== undefined && typeof body.host !== 'string') throw badRequest('INVALID_HOST', 'host must be a string');
    const resolver = store();
    const existing = await resolver.store.get(slug);
    const now = new Date().toISOString();
    const link = { slug, url, ...(typeof body?.host === 'string' && body.host ? { host: body.host } : {}), created: existing?.created ?? now, updated: now };
    await resolver.store.put(link);
    resolver.invalidate(slug);
    reply.code(existing ? 200 : 201);
    return { link };
  });

  app.delete('/admin/links/:slug', { config }, async (request) => {
    const { slug } = request.params as { slug: string };
    const resolver = store();
    const removed = await resolver.store.delete(slug);
    resolver.invalidate(slug);
    if (!removed) throw notFound(`no short link ${JSON.stringify(slug)}`);
    return { deleted: slug };
  });

  app.post('/admin/links/sign', { config }, async (request) => {
    const body = request.body as { url?: unknown; base?: unknown } | undefined;
    if (!opts.signingKey) throw new HttpError('SIGNING_DISABLED', 'set tracking.redirects.signingKey to sign links');
    if (typeof body?.url !== 'string' || !isWebUrl(body.url)) throw badRequest('INVALID_URL', 'url must be an absolute http(s) URL without credentials');
    const base = typeof body.base === 'string' ? body.base : `${request.protocol}://${request.host}`;
    return { link: trackedLink(base, opts.redirectPrefix, body.url, opts.signingKey) };
  });
}
