import type { Client } from 'cassandra-driver';
import type { LinkStore, ShortLink } from '../../track/links/link-store.js';
import { insert, orUnset } from './cql.js';

/** One change to a link, as stored in link_history. */
export type LinkAction = 'create' | 'update' | 'delete';

/** Upsert of a link plus its history row. The first `created` is kept when a link is updated. */
export function linkWrites(link: ShortLink, before: ShortLink | undefined, at: Date): { query: string; params: unknown[] }[] {
  const created = before ? new Date(before.created) : timeOf(link.created, at);
  return [
    insert('links', ['slug', 'url', 'host', 'created', 'updated'], [link.slug, link.url, orUnset(link.host), created, timeOf(link.updated, at)]),
    historyWrite(link.slug, before ? 'update' : 'create', link, timeOf(link.updated, at)),
  ];
}

export function historyWrite(slug: string, action: LinkAction, link: ShortLink | undefined, at: Date) {
  return insert('link_history', ['slug', 'changed', 'action', 'url', 'host'], [slug, at, action, orUnset(link?.url), orUnset(link?.host)]);
}

export function rowToLink(row: { get(name: string): unknown }): ShortLink {
  const link: ShortLink = { slug: String(row.get('slug')), url: String(row.get('url')), created: iso(row.get('created')), updated: iso(row.get('updated')) };
  const host = row.get('host');
  if (typeof host === 'string') link.host = host;
  return link;
}

/**
 * The Cassandra LinkStore. A link and its history row go in one LOGGED batch: two partitions, but the audit
 * trail must not miss a change, and link edits are rare enough that the batch log costs nothing that matters.
 */
export function cassandraLinks(client: () => Client): LinkStore {
  const get = async (slug: string) => {
    const rs = await client().execute('SELECT slug, url, host, created, updated FROM links WHERE slug = ?', [slug]);
    const row = rs.first();
    return row ? rowToLink(row) : undefined;
  };
  return {
    get,
    async put(link) {
      const before = await get(link.slug);
      if (before && before.url === link.url && before.host === link.host) return;
      await client().batch(linkWrites(link, before, new Date()), { logged: true });
    },
    async list() {
      const links: ShortLink[] = [];
      // The async iterator fetches further pages as it goes, so a long list is never read in one response.
      for await (const row of await client().execute('SELECT slug, url, host, created, updated FROM links', [], { fetchSize: 500 })) {
        links.push(rowToLink(row));
      }
      return links.sort((a, b) => a.slug.localeCompare(b.slug));
    },
    async delete(slug) {
      if (!(await get(slug))) return false;
      await client().batch(
        [{ query: 'DELETE FROM links WHERE slug = ?', params: [slug] }, historyWrite(slug, 'delete', undefined, new Date())],
        { logged: true },
      );
      return true;
    },
  };
}

function timeOf(text: string, fallback: Date): Date {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? fallback : new Date(ms);
}

function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v);
}
