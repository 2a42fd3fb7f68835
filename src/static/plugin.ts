import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { StaticConfig } from './config.js';

export type RootFallback = (request: FastifyRequest, reply: FastifyReply, slug: string) => Promise<boolean>;

/**
 * Static files from the configured root, as the last route: a path that no tracking or proxy route claimed.
 * At the site root a single-segment path may instead be a short link (`shortLink` decides first only when no
 * file of that name exists). Path traversal is refused by @fastify/static (`send`), which serves only inside
 * the root.
 */
export async function staticPlugin(app: FastifyInstance, opts: { config: StaticConfig; shortLink?: RootFallback }): Promise<void> {
  if (!opts.config.enabled) {
    if (opts.shortLink) app.get('/:slug', { config: { routeClass: 'shortlink' } }, slugOnly(opts.shortLink));
    return;
  }
  const root = resolve(opts.config.root);
  await app.register(fastifyStatic, { root, serve: false, index: ['index.html'] });
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = (request.params as { '*': string })['*'];
    if (opts.shortLink && /^[A-Za-z0-9_-]{1,64}$/.test(path) && !(await isFile(root, path))) {
      request.routeClass = 'shortlink';
      if (await opts.shortLink(request, reply, path)) return reply;
    }
    return reply.sendFile(path === '' || path.endsWith('/') ? `${path}index.html` : path);
  };
  app.get('/*', { config: { routeClass: 'static' } }, handler);
}

function slugOnly(shortLink: RootFallback) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { slug } = request.params as { slug: string };
    if (await shortLink(request, reply, slug)) return reply;
    return reply.callNotFound();
  };
}

function isFile(root: string, path: string): Promise<boolean> {
  return stat(resolve(root, path)).then((s) => s.isFile(), () => false);
}
