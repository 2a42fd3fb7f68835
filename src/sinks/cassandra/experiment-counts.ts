import type { ExperimentCounts, ExperimentQuery } from '../../experiments/counts.js';
import { allRows, type CqlReader, type CqlRow } from './cql-reader.js';
import { daysNewestFirst, eventsOfVisitor } from './read-statements.js';

const DAY = 86_400_000;
/** Without a start date, results read this many days of exposures (one partition per day). */
export const DEFAULT_EXPERIMENT_DAYS = 90;

interface Unit {
  vid: string;
  first: Date;
  splits: Set<string>;
  override: boolean;
  bot: boolean;
}

/**
 * The counts of ./../../experiments/counts.ts from Cassandra, by the same rules as the DuckDB query
 * (../duckdb/experiment-counts.ts): exposures from `exposures_by_day`, one partition per day of the
 * experiment, then each counted unit's events from `events_by_visitor` from its first exposure on.
 * Every statement reads one partition; the cost is one read per day plus one per exposed unit with goals.
 */
export async function readCassandraExperimentCounts(reader: CqlReader, q: ExperimentQuery, now: number): Promise<ExperimentCounts> {
  const since = q.since ?? new Date(now - DEFAULT_EXPERIMENT_DAYS * DAY);
  const units = new Map<string, Unit>();
  for (const day of daysNewestFirst({ since, until: new Date(now + 1) })) {
    const statement = { query: 'SELECT vid, sid, split, etyp, bot, received FROM exposures_by_day WHERE xid = ? AND day = ?', params: [q.experiment, day] };
    for await (const row of allRows(reader, statement)) addExposure(units, row, q.key);
  }

  const counted = new Map<string, number>();
  const excluded = { override: 0, moved: 0, bots: 0 };
  const conversions: Record<string, Record<string, number>> = Object.fromEntries(q.goals.map((g) => [g.name, {}]));
  for (const [id, u] of units) {
    const split = [...u.splits].sort()[0] ?? '';
    if (u.override) excluded.override++;
    else if (u.splits.size > 1) excluded.moved++;
    else if (u.bot) excluded.bots++;
    else {
      counted.set(split, (counted.get(split) ?? 0) + 1);
      if (q.goals.length === 0) continue;
      const reached = new Set<string>();
      for await (const e of allRows(reader, eventsOfVisitor(u.vid, { since: u.first }))) {
        if (e.bot === true || (q.key === 'sid' && e.sid !== id)) continue;
        for (const g of q.goals) if (e.ename === g.ename && (g.field === undefined || e[g.field] === g.equals)) reached.add(g.name);
      }
      for (const g of reached) {
        const byVariant = conversions[g] as Record<string, number>;
        byVariant[split] = (byVariant[split] ?? 0) + 1;
      }
    }
  }
  return { units: Object.fromEntries(counted), conversions, excluded };
}

function addExposure(units: Map<string, Unit>, row: CqlRow, key: ExperimentQuery['key']): void {
  const id = key === 'sid' ? row.sid : row.vid;
  if (typeof id !== 'string' || !id || typeof row.vid !== 'string') return;
  const received = row.received instanceof Date ? row.received : new Date(String(row.received));
  let u = units.get(id);
  if (!u) units.set(id, (u = { vid: row.vid, first: received, splits: new Set(), override: false, bot: false }));
  if (received < u.first) u.first = received;
  u.splits.add(String(row.split));
  if (row.etyp !== 'assigned') u.override = true;
  if (row.bot === true) u.bot = true;
}
