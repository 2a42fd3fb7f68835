// Leaf modules, not the sink's index: this file is loaded in every mode, and the index loads DuckDB's native library.
import { cursorAfter } from '../sinks/duckdb/cursor.js';
import { EXPORT_FORMATS } from '../sinks/duckdb/export-formats.js';
import type { DuckDbStore } from '../sinks/duckdb/index.js';
import type { TrackEvent } from '../track/event.js';
import type { AdminStore } from './admin-store.js';
import { REPORTS, type StoreReport } from './reports.js';

const PAGE = 10_000;
/**
 * Text a listing page holds at most (~32 MB): the page ends there with a `next`, as a Cassandra page may. 10,000
 * events of 96 KB would be 960 MB in the gateway's heap and again as JSON.
 */
const PAGE_BYTES = 32 * 1024 * 1024;

/** The embedded store: every capability, keyset pagination over (received, eid). */
export function duckDbAdminStore(store: DuckDbStore): AdminStore {
  return {
    name: 'duckdb',
    reports: REPORTS.filter((r): r is StoreReport => r !== 'rejected'),
    exportFormats: EXPORT_FORMATS,
    async queryEvents(filter) {
      const { events, cut } = await store.queryEventPage(filter, PAGE_BYTES);
      const last = events.at(-1);
      const full = cut || events.length === Math.min(filter.limit ?? 100, PAGE);
      return { events, next: full && last ? cursorAfter(last) : null };
    },
    visitorEvents: (vid) => allEvents(store, vid),
    deleteByVisitor: (vid) => store.deleteEvents({ vid }),
    deleteByUser: (uid) => store.deleteEvents({ uid }),
    stats: (range) => store.stats(range),
    exportEvents: (range, format, path) => store.exportEvents(range, format, path),
  };
}

/** Every event of a visitor, read in pages so one request never asks for an unbounded LIMIT. */
async function allEvents(store: DuckDbStore, vid: string): Promise<TrackEvent[]> {
  const out: TrackEvent[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await store.queryEvents({ vid, limit: PAGE, ...(before ? { before } : {}) });
    out.push(...page);
    const last = page.at(-1);
    if (page.length < PAGE || !last) return out;
    before = cursorAfter(last);
  }
}
