import { SinkQueryError } from '../errors.js';
import { allRows, type CqlReader } from './cql-reader.js';
import { daysNewestFirst, hitsOfDay, hostsOfDay, scanOfDay } from './read-statements.js';
import { createStatsAggregate, type CassandraReport, scanColumns, type ScanRange, type ScannedReport, type ScannedStats } from './stats-aggregate.js';

export { CASSANDRA_REPORTS, type CassandraReport } from './stats-aggregate.js';

/** A page's hits from the counters: whole UTC days, bots left out, no visitor count (a counter has none). */
export interface PageHits {
  key: string;
  events: number;
}

export type CassandraStats = Partial<ScannedStats> & { pages?: PageHits[] };

/** Events one stats request may read from events_by_day; past it the request fails with a client error. */
export const MAX_SCANNED_ROWS = 2_000_000;
const FETCH = 5_000;

export async function readCassandraStats(reader: CqlReader, range: ScanRange, reports: readonly CassandraReport[]): Promise<CassandraStats> {
  const days = daysNewestFirst(range);
  const hosts = new Map<string, string[]>();
  for (const day of days) {
    const list: string[] = [];
    for await (const row of allRows(reader, hostsOfDay(day))) list.push(String(row.host ?? ''));
    hosts.set(day, list);
  }
  const out: CassandraStats = {};
  if (reports.includes('pages')) out.pages = await topPages(reader, hosts, range.top);
  const scanned = reports.filter((r): r is ScannedReport => r !== 'pages');
  if (scanned.length === 0) return out;

  const aggregate = createStatsAggregate(range);
  const columns = scanColumns(scanned);
  let rows = 0;
  for (const [day, list] of hosts) {
    for (const host of list) {
      for await (const row of allRows(reader, scanOfDay(host, day, range, columns), FETCH)) {
        if (++rows > MAX_SCANNED_ROWS) {
          throw new SinkQueryError('cassandra', `the range holds more than ${MAX_SCANNED_ROWS} events to read for these reports; ask for a shorter range, or reports=pages,rejected (which read no events)`);
        }
        aggregate.add(row);
      }
    }
  }
  const full = aggregate.result();
  for (const r of scanned) Object.assign(out, { [r]: full[r] });
  return out;
}

/** Sums the hits counters of every host and day of the range per URL (the URL names its host). */
async function topPages(reader: CqlReader, hosts: ReadonlyMap<string, readonly string[]>, top: number): Promise<PageHits[]> {
  const sums = new Map<string, number>();
  for (const [day, list] of hosts) {
    for (const host of list) {
      for await (const row of allRows(reader, hitsOfDay(host, day))) {
        const url = String(row.url);
        sums.set(url, (sums.get(url) ?? 0) + Number(String(row.hits ?? 0)));
      }
    }
  }
  return [...sums]
    .map(([key, events]) => ({ key, events }))
    .sort((a, b) => b.events - a.events || a.key.localeCompare(b.key))
    .slice(0, top);
}
