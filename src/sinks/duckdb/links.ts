import type { DuckDBConnection } from '@duckdb/node-api';
import type { ShortLink } from '../../track/links/link-store.js';
import { inTransaction } from './event-writer.js';
import { timestamp } from './values.js';

/** One change to a short link, oldest first in `linkHistory`: changes to a redirect target stay auditable. */
export interface LinkChange {
  slug: string;
  action: 'create' | 'update' | 'delete';
  url?: string;
  host?: string;
  at: string; // ISO 8601
}

const COLUMNS = 'slug, url, host, created, updated';

export async function getLink(conn: DuckDBConnection, slug: string): Promise<ShortLink | undefined> {
  const rows = (await conn.runAndReadAll(`SELECT ${COLUMNS} FROM links WHERE slug = ?`, [slug])).getRowObjectsJS();
  return rows[0] ? toLink(rows[0]) : undefined;
}

export async function listLinks(conn: DuckDBConnection): Promise<ShortLink[]> {
  return (await conn.runAndReadAll(`SELECT ${COLUMNS} FROM links ORDER BY slug`)).getRowObjectsJS().map(toLink);
}

/**
 * Creates or replaces a link and records the change. The first `created` is kept on update (the link
 * has existed since then); a put that changes nothing records nothing.
 */
export async function putLink(conn: DuckDBConnection, link: ShortLink): Promise<void> {
  await inTransaction(conn, async () => {
    const before = await getLink(conn, link.slug);
    if (before && before.url === link.url && before.host === link.host) return;
    const updated = parseTime(link.updated);
    await conn.run(
      `INSERT INTO links VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (slug) DO UPDATE SET url = excluded.url, host = excluded.host, updated = excluded.updated`,
      [link.slug, link.url, link.host ?? null, timestamp(parseTime(link.created)), timestamp(updated)],
    );
    await record(conn, link.slug, before ? 'update' : 'create', link, updated);
  });
}

/** Returns false when there was no such link. */
export async function deleteLink(conn: DuckDBConnection, slug: string, now = new Date()): Promise<boolean> {
  return inTransaction(conn, async () => {
    const removed = (await conn.run('DELETE FROM links WHERE slug = ?', [slug])).rowsChanged;
    if (removed > 0) await record(conn, slug, 'delete', undefined, now);
    return removed > 0;
  });
}

export async function linkHistory(conn: DuckDBConnection, slug: string): Promise<LinkChange[]> {
  const rows = (
    await conn.runAndReadAll('SELECT slug, action, url, host, changed FROM link_history WHERE slug = ? ORDER BY seq', [slug])
  ).getRowObjectsJS();
  return rows.map((r) => {
    const change: LinkChange = { slug: String(r.slug), action: r.action as LinkChange['action'], at: iso(r.changed) };
    if (typeof r.url === 'string') change.url = r.url;
    if (typeof r.host === 'string') change.host = r.host;
    return change;
  });
}

async function record(conn: DuckDBConnection, slug: string, action: LinkChange['action'], link: ShortLink | undefined, at: Date) {
  await conn.run('INSERT INTO link_history (slug, action, url, host, changed) VALUES (?, ?, ?, ?, ?)', [
    slug,
    action,
    link?.url ?? null,
    link?.host ?? null,
    timestamp(at),
  ]);
}

function toLink(r: Record<string, unknown>): ShortLink {
  const link: ShortLink = { slug: String(r.slug), url: String(r.url), created: iso(r.created), updated: iso(r.updated) };
  if (typeof r.host === 'string') link.host = r.host;
  return link;
}

function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

/** An unparseable time would be stored as a wrong one; the current time is the honest fallback for a link edit. */
function parseTime(text: string): Date {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? new Date() : new Date(ms);
}
