import type { Config } from './schema.js';

/**
 * What a reload may change in a running process: the request handling (routes, tracking, enrichment, static files,
 * reverse proxy, rate limits, protocols), certificates and the log level. Everything else is built once at start
 * (listeners, spool, bus, stores, consumer, destinations, workers, the admin listener) and needs a restart.
 * An allowlist: a key added to the schema later is refused live until someone makes it live on purpose.
 */
const LIVE = [
  '/$schema',
  '/server/trustedProxies',
  '/server/forwardedHeader',
  '/server/bodyLimit',
  '/server/healthPath',
  '/server/readyPath',
  '/server/shutdownTimeout',
  '/log/level',
  '/log/access',
  '/tracking',
  '/enrich',
  '/static',
  '/proxy',
  '/rateLimit',
  '/protocols',
  '/tls',
] as const;

/** Under a live section, but read by a part that is not rebuilt (the listener, or the admin listener's link signing). */
const FROZEN_INSIDE = ['/tls/enabled', '/tls/listen', '/tls/http2', '/tracking/redirects/signingKey', '/tracking/routes/redirect'] as const;

export interface ConfigChanges {
  /** JSON paths of every changed value (an array that changed is one path). */
  readonly changed: readonly string[];
  /** The changed paths a running process cannot apply. */
  readonly frozen: readonly string[];
}

/** Compares the running config with a new one, key by key. Values never appear in the result (they may be secrets). */
export function configChanges(current: Readonly<Config>, next: Readonly<Config>): ConfigChanges {
  const changed: string[] = [];
  diff(current, next, '', changed);
  return { changed, frozen: changed.filter((path) => !isLive(path)) };
}

function isLive(path: string): boolean {
  const under = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  return LIVE.some(under) && !FROZEN_INSIDE.some(under);
}

function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) diff(a[key], b[key], `${path}/${key}`, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
