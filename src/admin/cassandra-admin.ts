// The report list comes from the driver-free module, so the admin API does not load cassandra-driver.
import { CASSANDRA_REPORTS, type CassandraReport } from '../sinks/cassandra/stats-aggregate.js';
import type { CassandraReads } from '../sinks/cassandra/index.js';
import type { ExportFormat } from '../sinks/duckdb/index.js';
import type { AdminStore } from './admin-store.js';
import { writeEventsFile } from './event-file.js';

const FORMATS: readonly ExportFormat[] = ['ndjson', 'csv'];
const toDate = (iso: string | undefined): Date | undefined => (iso ? new Date(iso) : undefined);

/**
 * Cluster mode: reads and erasure through the Cassandra sink's tables (src/sinks/cassandra/reads.ts). No
 * erasure by uid: no table is keyed by it. Exports are written by the gateway as ndjson or csv (no parquet).
 */
export function cassandraAdminStore(reads: CassandraReads): AdminStore {
  return {
    name: 'cassandra',
    reports: CASSANDRA_REPORTS,
    exportFormats: FORMATS,
    queryEvents(filter) {
      const since = toDate(filter.since);
      const until = toDate(filter.until);
      const fields = Object.fromEntries((['ename', 'etyp', 'uid', 'url'] as const).filter((f) => filter[f] !== undefined).map((f) => [f, filter[f]]));
      return reads.listEvents({
        fields,
        limit: filter.limit ?? 100,
        ...(filter.vid !== undefined ? { vid: filter.vid } : {}),
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
        ...(filter.before ? { before: filter.before } : {}),
      });
    },
    visitorEvents: (vid) => reads.visitorEvents(vid),
    deleteByVisitor: (vid) => reads.eraseVisitor(vid),
    stats: (range, reports) => reads.stats(range, reports.filter((r): r is CassandraReport => (CASSANDRA_REPORTS as readonly string[]).includes(r))),
    exportEvents(range, format, path) {
      if (format === 'parquet') throw new TypeError('parquet is written by DuckDB only');
      const since = toDate(range.since);
      const until = toDate(range.until);
      return writeEventsFile(reads.events({ ...(since ? { since } : {}), ...(until ? { until } : {}) }), format, path);
    },
  };
}
