import type { Stats } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StaticConfig } from './config.js';
import { mediaType, type MediaType } from './content-type.js';
import { acceptedCodings, compress, SUFFIX, type Coding } from './encoding.js';
import { notModified, rangeStillValid, strongEtag } from './conditional.js';
import type { FileCache, Cached } from './file-cache.js';
import { freshSibling } from './resolve-file.js';
import { sitePath } from './safe-path.js';
import type { StaticEvents } from './events.js';

export interface ServeContext {
  readonly config: StaticConfig;
  readonly cache: FileCache;
  readonly cacheControl: (sitePath: string) => string | undefined;
  readonly events?: StaticEvents;
}

export interface Target {
  readonly root: string;
  /** The URL segments the file was found under (the index name included). */
  readonly segments: readonly string[];
  readonly path: string;
  readonly stat: Stats;
}

/** Where the body of the chosen representation comes from. */
type Source =
  | { readonly kind: 'memory'; readonly coding?: Coding; readonly validator?: Stats; readonly load: () => Promise<Cached> }
  | { readonly kind: 'disk'; readonly coding?: Coding; readonly validator?: Stats; readonly segments: readonly string[] };

/**
 * Answers with one file: picks the representation (precompressed sibling, cached compressed variant, or the
 * file itself), sets validators and caching headers, answers 304 when the client's copy is current, and sends
 * the bytes from memory or, for large files and Range requests, through @fastify/static (which streams and
 * handles byte ranges). `status` 404 is the custom not-found page: no validators, never 304.
 */
export async function serveFile(ctx: ServeContext, request: FastifyRequest, reply: FastifyReply, target: Target, status: 200 | 404 = 200): Promise<FastifyReply> {
  const type = mediaType(target.segments[target.segments.length - 1] ?? target.path);
  const ranged = status === 200 && typeof request.headers.range === 'string';
  // Byte ranges are of the file itself (identity), cut by @fastify/static.
  const source: Source = ranged ? { kind: 'disk', segments: target.segments } : await chooseSource(ctx, target, type, acceptedCodings(request.headers['accept-encoding']));
  const etag = ctx.config.etag && status === 200 ? strongEtag(source.validator ?? target.stat, source.coding) : undefined;

  reply.code(status);
  reply.header('content-type', type.header);
  reply.header('vary', 'Accept-Encoding');
  const cacheControl = status === 200 ? ctx.cacheControl(sitePath(target.segments)) : 'no-cache';
  if (cacheControl) reply.header('cache-control', cacheControl);
  if (status === 200) {
    if (etag) reply.header('etag', etag);
    reply.header('last-modified', target.stat.mtime.toUTCString());
    if (!source.coding) reply.header('accept-ranges', 'bytes');
    if (notModified(request.headers, etag, target.stat.mtimeMs)) return reply.code(304).send();
  }
  if (source.coding) reply.header('content-encoding', source.coding);

  if (source.kind === 'memory') {
    const { body, hit } = await source.load();
    (hit ? ctx.events?.cacheHit : ctx.events?.cacheMiss)?.({ variant: source.coding ?? 'identity' });
    return reply.send(body);
  }
  const rangeValid = ranged && rangeStillValid(request.headers, etag, target.stat.mtimeMs);
  // Checked above against our own ETag; @fastify/send would compare it with its tag, which is turned off.
  if (rangeValid) delete request.raw.headers['if-range'];
  // @fastify/static re-resolves the same path inside the same root (already checked); its own headers are
  // turned off so that the ones above are the only ones.
  return reply.sendFile(sitePath(source.segments), target.root, {
    etag: false,
    lastModified: false,
    cacheControl: false,
    contentType: false,
    dotfiles: 'allow',
    acceptRanges: rangeValid && !source.coding,
  });
}

async function chooseSource(ctx: ServeContext, target: Target, type: MediaType, codings: readonly Coding[]): Promise<Source> {
  const { cache, config } = ctx;
  const { path, stat, segments } = target;
  for (const coding of codings) {
    if (config.compression.precompressed) {
      const sibling = await freshSibling(target.root, segments, SUFFIX[coding], stat);
      // The sibling's own size and mtime make its ETag: it may be rebuilt without the file changing.
      if (sibling && cache.holds(sibling.stat.size)) return { kind: 'memory', coding, validator: sibling.stat, load: () => cache.content(sibling.path, sibling.stat) };
      const last = segments[segments.length - 1] ?? '';
      if (sibling) return { kind: 'disk', coding, validator: sibling.stat, segments: [...segments.slice(0, -1), last + SUFFIX[coding]] };
    }
    if (config.compression.onTheFly && type.compressible && stat.size >= config.compression.minSize && cache.holds(stat.size)) {
      return { kind: 'memory', coding, load: () => cache.variant(path, stat, coding, async () => compress((await cache.content(path, stat)).body, coding)) };
    }
  }
  if (cache.holds(stat.size)) return { kind: 'memory', load: () => cache.content(path, stat) };
  return { kind: 'disk', segments };
}
