import type { AdminClient } from './admin-client.js';
import { queryOf } from './admin-client.js';

type Out = (line: string) => void;
interface Ranked {
  key: string;
  events: number;
  /** Absent where the store cannot tell (Cassandra's page counters). */
  visitors?: number;
}
interface Stats {
  range: { since: string; until: string; bucket: string };
  totals?: { events: number; visitors: number; sessions: number };
  pages?: Ranked[];
  referrers?: Ranked[];
  channels?: Ranked[];
  campaigns?: (Ranked & { source: string | null; medium: string | null })[];
  countries?: Ranked[];
  browsers?: Ranked[];
  os?: Ranked[];
  devices?: Ranked[];
  emailOpens?: { human: number; machine: number };
  linkClicks?: { slug: string; clicks: number; bots: number }[];
  bots?: { filtered: number };
  rejected?: { reason: string; route: string; count: number }[];
}

/** `gatehouse stats [--since T] [--until T]`: the overview as text (or the JSON with --json). */
export async function stats(client: AdminClient, opts: { since?: string; until?: string; json?: boolean }, out: Out): Promise<number> {
  const s = await client.json<Stats>('GET', `/admin/stats${queryOf({ since: opts.since, until: opts.until, top: 5 })}`);
  if (opts.json) {
    out(JSON.stringify(s));
    return 0;
  }
  out(`Gatehouse stats ${s.range.since} → ${s.range.until}`);
  if (s.totals) out(`  ${fmt(s.totals.events)} events · ${fmt(s.totals.visitors)} visitors · ${fmt(s.totals.sessions)} sessions (bots left out)`);
  if (s.bots) out(`  ${fmt(s.bots.filtered)} bot events filtered`);
  if (s.emailOpens) out(`  email opens: ${fmt(s.emailOpens.human)} human, ${fmt(s.emailOpens.machine)} machine`);
  const lists: [string, Ranked[] | undefined][] = [
    ['Top pages', s.pages], ['Referrers', s.referrers], ['Channels', s.channels], ['Countries', s.countries],
    ['Browsers', s.browsers], ['OS', s.os], ['Devices', s.devices],
  ];
  for (const [title, rows] of lists) section(out, title, rows?.map((r) => [r.key, r.visitors === undefined ? `${fmt(r.events)} events` : `${fmt(r.events)} events, ${fmt(r.visitors)} visitors`]));
  section(out, 'Campaigns', s.campaigns?.map((c) => [`${c.key}${c.source ? ` (${c.source}/${c.medium ?? '-'})` : ''}`, `${fmt(c.events)} events`]));
  section(out, 'Short links', s.linkClicks?.map((l) => [l.slug, `${fmt(l.clicks)} clicks, ${fmt(l.bots)} by bots`]));
  section(out, 'Rejected (since the gateway started)', s.rejected?.map((r) => [`${r.reason} (${r.route})`, fmt(r.count)]));
  return 0;
}

function section(out: Out, title: string, rows: [string, string][] | undefined): void {
  if (!rows || rows.length === 0) return;
  out('');
  out(title);
  const width = Math.min(60, Math.max(...rows.map(([k]) => k.length)));
  for (const [k, v] of rows) out(`  ${k.length > width ? `${k.slice(0, width - 1)}…` : k.padEnd(width)}  ${v}`);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
