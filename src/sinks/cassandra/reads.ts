import type { TrackEvent } from '../../track/event.js';
import { allRows, type CqlReader } from './cql-reader.js';
import { eraseVisitor } from './erase.js';
import { DEFAULT_WINDOW_MS, listEvents, type EventPage, type ListQuery } from './event-listing.js';
import { daysNewestFirst, eventsOfDay, eventsOfVisitor, hostsOfDay, type TimeRange } from './read-statements.js';
import { rowToEvent } from './row-event.js';
import { readCassandraStats, type CassandraReport, type CassandraStats } from './stats.js';
import { readCassandraExperimentCounts } from './experiment-counts.js';
import type { ExperimentCounts, ExperimentQuery } from '../../experiments/counts.js';
import type { ScanRange } from './stats-aggregate.js';

/** What the admin API reads from (and erases in) Cassandra. Every method reads one partition at a time. */
export interface CassandraReads {
  /** `GET /admin/events` (see ./event-listing.ts). */
  listEvents(query: ListQuery): Promise<EventPage>;
  /** Every event of a visitor, newest first. */
  visitorEvents(vid: string): Promise<TrackEvent[]>;
  /** Erases a visitor; resolves with the events erased. */
  eraseVisitor(vid: string): Promise<number>;
  stats(range: ScanRange, reports: readonly CassandraReport[]): Promise<CassandraStats>;
  /** The events of a range for an export: days oldest first, each day host by host, each host oldest first. */
  events(range: Partial<TimeRange>): AsyncIterable<TrackEvent>;
  /** Exposures and conversions of one experiment (see ./experiment-counts.ts). */
  experimentCounts(query: ExperimentQuery): Promise<ExperimentCounts>;
}

const PAGE = 1_000;

export function createCassandraReads(reader: CqlReader, now: () => number = Date.now): CassandraReads {
  return {
    listEvents: (query) => listEvents(reader, query, now()),
    async visitorEvents(vid) {
      const events: TrackEvent[] = [];
      for await (const row of allRows(reader, eventsOfVisitor(vid), PAGE)) events.push(rowToEvent(row));
      return events;
    },
    eraseVisitor: (vid) => eraseVisitor(reader, vid),
    stats: (range, reports) => readCassandraStats(reader, range, reports),
    events: (range) => eventsOldestFirst(reader, range, now()),
    experimentCounts: (query) => readCassandraExperimentCounts(reader, query, now()),
  };
}

async function* eventsOldestFirst(reader: CqlReader, partial: Partial<TimeRange>, now: number): AsyncGenerator<TrackEvent> {
  const until = partial.until ?? new Date(now);
  const range = { since: partial.since ?? new Date(until.getTime() - DEFAULT_WINDOW_MS), until };
  for (const day of daysNewestFirst(range).reverse()) {
    const hosts: string[] = [];
    for await (const row of allRows(reader, hostsOfDay(day))) hosts.push(String(row.host ?? ''));
    for (const host of hosts) {
      for await (const row of allRows(reader, eventsOfDay(host, day, range, {}, 'asc'), PAGE)) yield rowToEvent(row);
    }
  }
}
