import type { CqlRow } from './cql-reader.js';

/**
 * The stats reports computed in the gateway from rows of events_by_day (Cassandra has no GROUP BY over a
 * range). Same meanings as the DuckDB reports (src/sinks/duckdb/stats.ts): bots are left out of the human
 * figures, visitors are distinct non-null vids, lists are sorted by events then key and cut to `top`.
 */
export const SCANNED_REPORTS = [
  'totals', 'series', 'referrers', 'channels', 'campaigns', 'countries', 'browsers', 'os', 'devices', 'emailOpens', 'linkClicks', 'bots',
] as const;

/** Reports Cassandra answers: `pages` from the hits counters, the others by reading events_by_day. */
export const CASSANDRA_REPORTS = ['pages', ...SCANNED_REPORTS] as const;
export type CassandraReport = (typeof CASSANDRA_REPORTS)[number];
export type ScannedReport = (typeof SCANNED_REPORTS)[number];

export interface RankedRow {
  key: string;
  events: number;
  visitors: number;
}

export interface ScannedStats {
  totals: { events: number; visitors: number; sessions: number };
  series: { t: string; events: number; visitors: number }[];
  referrers: RankedRow[];
  channels: RankedRow[];
  campaigns: (RankedRow & { source: string | null; medium: string | null })[];
  countries: RankedRow[];
  browsers: RankedRow[];
  os: RankedRow[];
  devices: RankedRow[];
  emailOpens: { human: number; machine: number };
  linkClicks: { slug: string; clicks: number; bots: number }[];
  bots: { filtered: number; byKind: RankedRow[] };
}

/** Ranked lists: report → column, and whether rows without a value are left out (else counted as '(unknown)'). */
const RANKED: Readonly<Record<string, { column: string; skipEmpty: boolean }>> = {
  referrers: { column: 'ref_host', skipEmpty: true },
  channels: { column: 'channel', skipEmpty: false },
  countries: { column: 'country', skipEmpty: false },
  browsers: { column: 'ua_browser', skipEmpty: false },
  os: { column: 'ua_os', skipEmpty: false },
  devices: { column: 'ua_device', skipEmpty: false },
};

const NEEDS: Readonly<Record<ScannedReport, readonly string[]>> = {
  totals: ['sid'],
  series: [],
  referrers: ['ref_host'],
  channels: ['channel'],
  campaigns: ['campaign', 'source', 'medium'],
  countries: ['country'],
  browsers: ['ua_browser'],
  os: ['ua_os'],
  devices: ['ua_device'],
  emailOpens: ['origin'],
  linkClicks: ['origin', 'content'],
  bots: ['bot_kind'],
};

/** The columns to read for these reports: only what they use. */
export function scanColumns(reports: readonly ScannedReport[]): string[] {
  return [...new Set(['received', 'vid', 'bot', ...reports.flatMap((r) => NEEDS[r])])];
}

class Tally {
  events = 0;
  readonly vids = new Set<string>();
  add(vid: unknown): void {
    this.events++;
    if (typeof vid === 'string') this.vids.add(vid);
  }
}

export interface ScanRange {
  since: Date;
  until: Date;
  bucket: 'hour' | 'day';
  top: number;
}

/** Folds rows in one by one (memory: one entry per distinct key and visitor), then gives the reports. */
export function createStatsAggregate(range: ScanRange) {
  const step = range.bucket === 'hour' ? 3_600_000 : 86_400_000;
  const human = new Tally();
  const sessions = new Set<string>();
  const series = new Map<number, Tally>();
  const ranked = new Map<string, Map<string, Tally>>(Object.keys(RANKED).map((r) => [r, new Map()]));
  const campaigns = new Map<string, { tally: Tally; source: string | null; medium: string | null }>();
  const opens = { human: 0, machine: 0 };
  const clicks = new Map<string, { clicks: number; bots: number }>();
  const bots = new Map<string, Tally>();
  let botEvents = 0;

  const tally = <K>(map: Map<K, Tally>, k: K): Tally => {
    let t = map.get(k);
    if (!t) map.set(k, (t = new Tally()));
    return t;
  };

  return {
    add(row: CqlRow): void {
      const bot = row.bot === true;
      const origin = row.origin;
      if (origin === 'pixel') opens[bot ? 'machine' : 'human']++;
      if (origin === 'shortlink' && typeof row.content === 'string') {
        const c = clicks.get(row.content) ?? { clicks: 0, bots: 0 };
        c[bot ? 'bots' : 'clicks']++;
        clicks.set(row.content, c);
      }
      if (bot) {
        botEvents++;
        tally(bots, text(row.bot_kind) ?? '(unknown)').add(row.vid);
        return;
      }
      human.add(row.vid);
      if (typeof row.sid === 'string') sessions.add(row.sid);
      const t = row.received instanceof Date ? row.received.getTime() : Date.parse(String(row.received));
      tally(series, Math.floor(t / step) * step).add(row.vid);
      for (const [report, { column, skipEmpty }] of Object.entries(RANKED)) {
        const v = text(row[column]);
        if (skipEmpty && (v === undefined || v === '')) continue;
        tally(ranked.get(report) as Map<string, Tally>, v ?? '(unknown)').add(row.vid);
      }
      const campaign = text(row.campaign);
      if (campaign) {
        const c = campaigns.get(campaign) ?? { tally: new Tally(), source: text(row.source) ?? null, medium: text(row.medium) ?? null };
        c.tally.add(row.vid);
        campaigns.set(campaign, c);
      }
    },
    result(): ScannedStats {
      const top = <T extends { key: string; events: number }>(rows: T[]) => rows.sort((a, b) => b.events - a.events || a.key.localeCompare(b.key)).slice(0, range.top);
      const list = (m: Map<string, Tally>) => top([...m].map(([key, t]) => ({ key, events: t.events, visitors: t.vids.size })));
      const points: ScannedStats['series'] = [];
      for (let t = Math.floor(range.since.getTime() / step) * step; t < range.until.getTime(); t += step) {
        const p = series.get(t);
        points.push({ t: new Date(t).toISOString(), events: p?.events ?? 0, visitors: p?.vids.size ?? 0 });
      }
      return {
        totals: { events: human.events, visitors: human.vids.size, sessions: sessions.size },
        series: points,
        referrers: list(ranked.get('referrers') as Map<string, Tally>),
        channels: list(ranked.get('channels') as Map<string, Tally>),
        campaigns: top([...campaigns].map(([key, c]) => ({ key, events: c.tally.events, visitors: c.tally.vids.size, source: c.source, medium: c.medium }))),
        countries: list(ranked.get('countries') as Map<string, Tally>),
        browsers: list(ranked.get('browsers') as Map<string, Tally>),
        os: list(ranked.get('os') as Map<string, Tally>),
        devices: list(ranked.get('devices') as Map<string, Tally>),
        emailOpens: opens,
        linkClicks: [...clicks]
          .map(([slug, c]) => ({ slug, ...c }))
          .sort((a, b) => b.clicks - a.clicks || a.slug.localeCompare(b.slug))
          .slice(0, range.top),
        bots: { filtered: botEvents, byKind: list(bots) },
      };
    },
  };
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : v === null || v === undefined ? undefined : String(v);
}
