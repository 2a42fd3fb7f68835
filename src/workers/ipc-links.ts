import type { LinkStore, ShortLink } from '../track/links/link-store.js';
import { createLinkResolver, type LinkResolver } from '../track/links/link-resolver.js';
import type { PrimaryChannel } from './primary-channel.js';

/** Link lookups wait at most this long for the primary (a redirect must not hang). */
const LINK_TIMEOUT_MS = 5_000;

/** The primary's link store, seen from a worker. */
export function ipcLinkStore(channel: PrimaryChannel): LinkStore {
  return {
    get: async (slug) => (await channel.call({ gh: 'link', call: { op: 'get', slug } }, LINK_TIMEOUT_MS)) as ShortLink | undefined,
    put: async (link) => {
      await channel.call({ gh: 'link', call: { op: 'put', link } }, LINK_TIMEOUT_MS);
    },
    list: async () => (await channel.call({ gh: 'link', call: { op: 'list' } }, LINK_TIMEOUT_MS)) as ShortLink[],
    delete: async (slug) => (await channel.call({ gh: 'link', call: { op: 'delete', slug } }, LINK_TIMEOUT_MS)) as boolean,
  };
}

/**
 * A worker's cached resolver over the primary's store. The primary announces every change (`linkChanged`), so a
 * link edited through the admin API applies at once in every worker, as it does in a single process.
 */
export function ipcLinkResolver(channel: PrimaryChannel): LinkResolver {
  const resolver = createLinkResolver(ipcLinkStore(channel));
  channel.on((message) => {
    if (message.gh === 'linkChanged') resolver.invalidate(message.slug);
  });
  return resolver;
}
