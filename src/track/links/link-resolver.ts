import { LRUCache } from 'lru-cache';
import type { LinkStore, ShortLink } from './link-store.js';

/**
 * Short-link lookups through an LRU cache, so a popular link costs no store read. Writes made through this
 * gateway update the cache at once; the TTL bounds staleness for writes made elsewhere (another gateway).
 */
export interface LinkResolver {
  resolve(slug: string, host: string): Promise<ShortLink | undefined>;
  store: LinkStore;
  invalidate(slug: string): void;
}

const MISSING = Symbol('missing');

export function createLinkResolver(store: LinkStore, options: { max?: number; ttlMs?: number } = {}): LinkResolver {
  const cache = new LRUCache<string, ShortLink | typeof MISSING>({ max: options.max ?? 10_000, ttl: options.ttlMs ?? 30_000 });
  return {
    store,
    async resolve(slug, host) {
      let link = cache.get(slug);
      if (link === undefined) {
        link = (await store.get(slug)) ?? MISSING;
        cache.set(slug, link);
      }
      if (link === MISSING) return undefined;
      return !link.host || link.host.toLowerCase() === host.toLowerCase() ? link : undefined;
    },
    invalidate(slug) {
      cache.delete(slug);
    },
  };
}
