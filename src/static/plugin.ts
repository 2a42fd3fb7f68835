import { realpath } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Telemetry } from '../telemetry/telemetry.js';
import { errorBody } from '../server/errors.js';
import { rootSlug, SLUG, type RootFallback } from '../server/root-fallback.js';
import { wantsHtml } from '../server/error-handler.js';
import type { StaticConfig } from './config.js';
import { cacheControlFor } from './cache-control.js';
import { FileCache } from './file-cache.js';
import { staticEvents } from './events.js';
import { lookup, lookupIndex } from './resolve-file.js';
import { parseUrlPath } from './safe-path.js';
import { serveFile, type ServeContext } from './serve-file.js';
import { siteRoots, type SiteRoots } from './site-roots.js';

export interface StaticPluginOptions {
  readonly config: StaticConfig;
  /** Root short links: asked for a single-segment path only when no file of that name exists. */
  readonly shortLink?: RootFallback;
  /** Counts cache hits and misses when given. */
  readonly telemetry?: Telemetry;
  /** Files never served even when inside a root (the config file). */
  readonly protect?: readonly string[];
}


/**
 * Static files from the configured roots, as the last route: a path that no tracking or proxy route claimed.
 * At the site root a single-segment path that is no file may be a short link; then the SPA fallback; then the
 * 404 page.
 */
export async function staticPlugin(app: FastifyInstance, opts: StaticPluginOptions): Promise<void> {
  const { config, shortLink } = opts;
  if (!config.enabled) {
    // `/*`, not `/:slug`: a parametric route would win over a host-bound proxy's `/*` on the root for its host.
    if (shortLink) app.get('/*', { config: { routeClass: 'shortlink' } }, slugOnly(shortLink));
    return;
  }
  const roots = siteRoots(config.root, config.hosts);
  refuseWorkingDirectory(roots);
  for (const root of roots.all) await realpath(root).catch(() => app.log.warn({ root }, 'static root does not exist (yet): its requests get 404'));
  const protect = new Set(await Promise.all((opts.protect ?? []).map((p) => realpath(p).catch(() => resolve(p)))));
  const ctx: ServeContext = {
    config,
    cache: new FileCache(config.cache.maxBytes, config.cache.maxFileSize),
    cacheControl: cacheControlFor(config.cacheControl, config.defaultCacheControl),
    ...(opts.telemetry ? { events: staticEvents(opts.telemetry) } : {}),
  };
  // Only for `reply.sendFile` (streaming and byte ranges of large files), always given the root; routing and
  // checks stay here.
  await app.register(fastifyStatic, { serve: false });
  app.get('/*', { config: { routeClass: 'static' } }, siteHandler(ctx, roots, protect, shortLink));
}

function siteHandler(ctx: ServeContext, roots: SiteRoots, protect: ReadonlySet<string>, shortLink: RootFallback | undefined) {
  const { config } = ctx;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const root = roots.rootFor(request.host);
    const url = parseUrlPath(request.url, config.dotfiles);
    if (url.kind === 'refused') return url.status === 404 ? notFound(ctx, request, reply, root) : refuse(reply, url.status);
    const { segments, trailingSlash } = url;
    const found = await lookup(root, segments);
    if (found.kind === 'outside' || (found.kind === 'file' && protect.has(found.path))) return refuse(reply, 403);
    if (found.kind === 'file' && !trailingSlash) return serveFile(ctx, request, reply, { root, segments, ...found });
    if (found.kind === 'directory') {
      // RFC 9110 §15.4.9: 308 keeps the method; relative links in the index page need the slash form.
      if (!trailingSlash) return reply.redirect(withSlash(request.url), 308);
      const index = await lookupIndex(root, segments, config.index);
      if (index?.kind === 'outside' || (index && protect.has(index.file.path))) return refuse(reply, 403);
      if (index?.kind === 'found') return serveFile(ctx, request, reply, { root, segments: index.segments, ...index.file });
      return notFound(ctx, request, reply, root);
    }
    const slug = segments[0];
    if (shortLink && segments.length === 1 && !trailingSlash && slug !== undefined && SLUG.test(slug)) {
      request.routeClass = 'shortlink';
      if (await shortLink(request, reply, slug)) return reply;
      request.routeClass = null;
    }
    const last = segments[segments.length - 1];
    if (config.spaFallback && (last === undefined || extname(last) === '')) {
      const index = await lookupIndex(root, [], config.index);
      if (index?.kind === 'found') return serveFile(ctx, request, reply, { root, segments: index.segments, ...index.file });
    }
    return notFound(ctx, request, reply, root);
  };
}

/** The configured 404 page for browsers; everyone else (and a missing page) gets the app's JSON/HTML 404. */
async function notFound(ctx: ServeContext, request: FastifyRequest, reply: FastifyReply, root: string): Promise<FastifyReply> {
  const page = ctx.config.notFoundPage;
  if (page && wantsHtml(request)) {
    const found = await lookup(root, [page]);
    if (found.kind === 'file') return serveFile(ctx, request, reply, { root, segments: [page], ...found }, 404);
  }
  reply.callNotFound();
  return reply;
}

function refuse(reply: FastifyReply, status: 400 | 403): FastifyReply {
  const body = status === 400 ? errorBody('BAD_REQUEST', 'malformed path') : errorBody('FORBIDDEN', 'path not allowed');
  return reply.code(status).send(body);
}

function withSlash(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? `${url}/` : `${url.slice(0, q)}/${url.slice(q)}`;
}

/** A root holding the working directory would publish config.json, the spool and the event store. */
function refuseWorkingDirectory(roots: SiteRoots): void {
  const cwd = process.cwd();
  for (const root of roots.all) {
    if (cwd === root || cwd.startsWith(root.endsWith(sep) ? root : root + sep)) {
      throw new Error(`static root ${root} contains the working directory (config.json, spool, data): serve a subdirectory such as "www"`);
    }
  }
}

function slugOnly(shortLink: RootFallback) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const slug = rootSlug(request);
    if (slug !== undefined && (await shortLink(request, reply, slug))) return reply;
    return reply.callNotFound();
  };
}
