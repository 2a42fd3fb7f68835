import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section, Strict, Size } from '../config/types.js';

/** An exact host name or a one-label wildcard ("*.example.com"), as for proxy routes. */
const HOST_PATTERN = '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$';

/** A file name without directory parts: index and 404 pages live in the served root itself. */
const FILE_NAME_PATTERN = '^[^/\\\\]+$';

export const StaticHostRoot = Strict(
  {
    host: Type.String({
      pattern: HOST_PATTERN,
      description: 'Requests for this Host: an exact name ("docs.example.com") or a one-label wildcard ("*.example.com"); any port, case-insensitive.',
    }),
    root: Type.String({ minLength: 1, description: 'Directory served for this host instead of `root`.' }),
  },
  { description: 'A per-host document root.' },
);

export const StaticCacheControlRule = Strict(
  {
    pattern: Type.String({
      minLength: 1,
      description:
        'Served file path (relative to the root, with a leading "/") to match; "*" matches any characters. A pattern starting with "/" is anchored at the root ("/assets/*"); otherwise it matches the end of the path ("*.js", "favicon.ico").',
    }),
    value: Type.String({ minLength: 1, description: 'Cache-Control header sent for matching files ("public, max-age=31536000, immutable").' }),
  },
  { description: 'A Cache-Control rule; the first matching rule wins.' },
);

export const StaticCache = Section(
  {
    maxBytes: Size('32MB', { description: 'Memory the file cache may hold in total (file contents and compressed variants); least recently used entries go first. 0 turns the cache off.' }),
    maxFileSize: Size('256KB', { description: 'Files up to this size are cached in memory; larger ones are streamed from disk (with Range support).' }),
  },
  { description: 'In-memory cache of small files, revalidated against the file mtime and size on every request.' },
);

export const StaticCompression = Section(
  {
    precompressed: Type.Boolean({
      default: true,
      description: 'Serve a `.br` or `.gz` sibling of a file (app.js.br) when the client accepts that encoding and the sibling is not older than the file.',
    }),
    onTheFly: Type.Boolean({
      default: true,
      description: 'Compress cacheable text-like files (HTML, CSS, JS, JSON, SVG, ...) with brotli or gzip; the compressed variant is kept in the file cache.',
    }),
    minSize: Size('1KB', { description: 'Files smaller than this are sent uncompressed: the saving would not pay for the headers and CPU.' }),
  },
  { description: 'Response compression, negotiated by Accept-Encoding.' },
);

export const StaticConfig = Section(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve static files.' }),
    root: Type.String({ default: 'www', minLength: 1, description: 'Directory served at the site root.' }),
    hosts: Type.Array(StaticHostRoot, { default: [], description: 'Per-host roots, first match wins; other hosts get `root`.' }),
    index: Type.Array(Type.String({ pattern: FILE_NAME_PATTERN }), {
      default: ['index.html'],
      description: 'File names tried, in order, for a directory request ("/docs/").',
    }),
    spaFallback: Type.Boolean({
      default: false,
      description: 'Serve the root index file for unknown paths without a file extension (client-side routing of single-page apps).',
    }),
    notFoundPage: Type.String({
      default: '404.html',
      pattern: '^([^/\\\\]+)?$',
      description: 'File in the root sent with status 404 to clients that accept HTML. Empty, or missing in the root: the built-in page.',
    }),
    cache: StaticCache,
    cacheControl: Type.Array(StaticCacheControlRule, {
      default: [],
      description: 'Cache-Control by file path, first match wins; e.g. [{"pattern": "/assets/*", "value": "public, max-age=31536000, immutable"}].',
    }),
    defaultCacheControl: Type.String({
      default: 'no-cache',
      description: 'Cache-Control for files no rule matches, HTML included: "no-cache" lets browsers keep a copy but revalidate it (a cheap 304). Empty: no header.',
    }),
    compression: StaticCompression,
    etag: Type.Boolean({ default: true, description: 'Send a strong ETag (from file size and mtime, per encoding) and answer If-None-Match with 304.' }),
    dotfiles: Type.Union([Type.Literal('deny'), Type.Literal('ignore'), Type.Literal('allow')], {
      default: 'deny',
      description: 'Paths with a segment starting with "." (.env, .git/): "deny" answers 403, "ignore" 404, "allow" serves them. /.well-known/ (RFC 8615) is always allowed.',
    }),
  },
  { description: 'Static files.' },
);

export type StaticConfig = StaticDecode<typeof StaticConfig>;
