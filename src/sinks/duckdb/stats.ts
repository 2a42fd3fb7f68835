import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { timestamp } from './values.js';

/** The window of a report: `since` inclusive, `until` exclusive; series points per hour or day (UTC). */
export interface StatsRange {
  since: Date;
  until: Date;
  bucket: 'hour' | 'day';
  /** Rows in each top-N list. */
  top: number;
}

export interface Ranked {
  key: string;
  events: number;
  visitors: number;
}

export interface StatsReport {
  range: { since: string; until: string; bucket: 'hour' | 'day' };
  /** Human traffic only (bot = true is left out everywhere but `bots`, `emailOpens` and `linkClicks`). */
  totals: { events: number; visitors: number; sessions: number };
  series: { t: string; events: number; visitors: number }[];
  pages: Ranked[];
  referrers: Ranked[];
  channels: Ranked[];
  campaigns: (Ranked & { source: string | null; medium: string | null })[];
  countries: Ranked[];
  browsers: Ranked[];
  os: Ranked[];
  devices: Ranked[];
  /** Pixel opens: human, or machine (mail privacy proxies, scanners: bot = true). */
  emailOpens: { human: number; machine: number };
  /** Short link follows by slug (`content`); bots apart. */
  linkClicks: { slug: string; clicks: number; bots: number }[];
  /** Events from bots, left out of the human figures above, by bot_kind. */
  bots: { filtered: number; byKind: Ranked[] };
}

const HUMAN = 'coalesce(bot, false) = false';
const RANGE = 'received >= ? AND received < ?';

/** Every report of the overview, from one range. Runs several small aggregate queries on one connection. */
export async function readStats(conn: DuckDBConnection, range: StatsRange): Promise<StatsReport> {
  const p: DuckDBValue[] = [timestamp(range.since), timestamp(range.until)];
  const rows = async (sql: string) => (await conn.runAndReadAll(sql, p)).getRowObjectsJS();
  const ranked = async (column: string, skipNull: boolean): Promise<Ranked[]> =>
    (
      await rows(`SELECT coalesce(CAST("${column}" AS VARCHAR), '(unknown)') AS key, count(*) AS events, count(DISTINCT vid) AS visitors
        FROM events WHERE ${RANGE} AND ${HUMAN}${skipNull ? ` AND "${column}" IS NOT NULL AND "${column}" <> ''` : ''}
        GROUP BY 1 ORDER BY events DESC, key LIMIT ${range.top}`)
    ).map(toRanked);

  const [totals] = await rows(`SELECT count(*) AS events, count(DISTINCT vid) AS visitors, count(DISTINCT sid) AS sessions
    FROM events WHERE ${RANGE} AND ${HUMAN}`);
  const series = await rows(`SELECT date_trunc('${range.bucket}', received) AS t, count(*) AS events, count(DISTINCT vid) AS visitors
    FROM events WHERE ${RANGE} AND ${HUMAN} GROUP BY 1 ORDER BY 1`);
  const campaigns = await rows(`SELECT campaign AS key, any_value(source) AS source, any_value(medium) AS medium,
      count(*) AS events, count(DISTINCT vid) AS visitors
    FROM events WHERE ${RANGE} AND ${HUMAN} AND campaign IS NOT NULL AND campaign <> ''
    GROUP BY 1 ORDER BY events DESC, key LIMIT ${range.top}`);
  const [opens] = await rows(`SELECT count(*) FILTER (WHERE ${HUMAN}) AS human, count(*) FILTER (WHERE bot) AS machine
    FROM events WHERE ${RANGE} AND origin = 'pixel'`);
  const clicks = await rows(`SELECT content AS slug, count(*) FILTER (WHERE ${HUMAN}) AS clicks, count(*) FILTER (WHERE bot) AS bots
    FROM events WHERE ${RANGE} AND origin = 'shortlink' AND content IS NOT NULL
    GROUP BY 1 ORDER BY clicks DESC, slug LIMIT ${range.top}`);
  const [bots] = await rows(`SELECT count(*) AS n FROM events WHERE ${RANGE} AND bot`);
  const byKind = await rows(`SELECT coalesce(bot_kind, '(unknown)') AS key, count(*) AS events, count(DISTINCT vid) AS visitors
    FROM events WHERE ${RANGE} AND bot GROUP BY 1 ORDER BY events DESC, key LIMIT ${range.top}`);

  return {
    range: { since: range.since.toISOString(), until: range.until.toISOString(), bucket: range.bucket },
    totals: { events: num(totals?.events), visitors: num(totals?.visitors), sessions: num(totals?.sessions) },
    series: fillSeries(range, series.map((r) => ({ t: (r.t as Date).toISOString(), events: num(r.events), visitors: num(r.visitors) }))),
    pages: await ranked('url', true),
    referrers: await ranked('ref_host', true),
    channels: await ranked('channel', false),
    campaigns: campaigns.map((r) => ({ ...toRanked(r), source: str(r.source), medium: str(r.medium) })),
    countries: await ranked('country', false),
    browsers: await ranked('ua_browser', false),
    os: await ranked('ua_os', false),
    devices: await ranked('ua_device', false),
    emailOpens: { human: num(opens?.human), machine: num(opens?.machine) },
    linkClicks: clicks.map((r) => ({ slug: String(r.slug), clicks: num(r.clicks), bots: num(r.bots) })),
    bots: { filtered: num(bots?.n), byKind: byKind.map(toRanked) },
  };
}

/** One point per bucket from the first to the last of the range, zero where nothing happened. */
function fillSeries(range: StatsRange, points: StatsReport['series']): StatsReport['series'] {
  const step = range.bucket === 'hour' ? 3_600_000 : 86_400_000;
  const byTime = new Map(points.map((pt) => [pt.t, pt]));
  const out: StatsReport['series'] = [];
  for (let t = Math.floor(range.since.getTime() / step) * step; t < range.until.getTime(); t += step) {
    const iso = new Date(t).toISOString();
    out.push(byTime.get(iso) ?? { t: iso, events: 0, visitors: 0 });
  }
  return out;
}

function toRanked(r: Record<string, unknown>): Ranked {
  return { key: String(r.key), events: num(r.events), visitors: num(r.visitors) };
}

function num(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}
