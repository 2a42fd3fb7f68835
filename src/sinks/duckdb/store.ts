import type { DuckDBConnection } from '@duckdb/node-api';
import { down, up, type Health } from '../../lifecycle/health.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type { TrackEvent } from '../../track/event.js';
import type { LinkStore, ShortLink } from '../../track/links/link-store.js';
import type { DuckDbConfig } from '../config.js';
import { SinkQueryError, reasonOf } from '../errors.js';
import { sinkEvents } from '../events.js';
import type { RecordKind } from '../record-rows.js';
import { SinkWriteError, type ServiceRecord, type RecordSink } from '../sink.js';
import { openDatabase, type Database } from './database.js';
import { countEvents, deleteEvents, pruneEvents, queryEvents, readEventPage, type EventOwner, type EventPageRead } from './event-reads.js';
import { readEventLayout, writeEvents, type EventLayout } from './event-writer.js';
import type { EventFilter } from './filter.js';
import { deleteLink, getLink, linkHistory, listLinks, putLink, type LinkChange } from './links.js';
import { migrate } from './migrations.js';
import { readDuckDbMemory, registerDuckDbMemory } from './memory-metrics.js';
import { countRecords, readRecords, writeRecords } from './records.js';
import { readStats, type StatsRange, type StatsReport } from './stats.js';
import { readExperimentCounts } from './experiment-counts.js';
import type { ExperimentCounts, ExperimentQuery } from '../../experiments/counts.js';
import { copyEvents } from './export.js';
import type { ExportFormat } from './export-formats.js';

/** The embedded store: a Sink for the consumer, the LinkStore of the gateway, and reads for the admin API. */
export interface DuckDbStore extends RecordSink, LinkStore {
  queryEvents(filter?: EventFilter): Promise<TrackEvent[]>;
  /** A page of the listing that stops once its events hold `maxBytes` of text (`cut`: short of its limit). */
  queryEventPage(filter: EventFilter, maxBytes: number): Promise<EventPageRead>;
  countEvents(filter?: Omit<EventFilter, 'limit' | 'before'>): Promise<number>;
  countRecords(kind: RecordKind): Promise<number>;
  /** Service records of one kind as stored (../record-rows.ts columns), oldest first. */
  readRecords(kind: RecordKind): Promise<Record<string, unknown>[]>;
  deleteEvents(owner: EventOwner): Promise<number>;
  pruneOlderThan(ms: number): Promise<number>;
  linkHistory(slug: string): Promise<LinkChange[]>;
  /** The admin overview (see ./stats.ts). */
  stats(range: StatsRange): Promise<StatsReport>;
  /** Exposures and conversions of one experiment (see ./experiment-counts.ts). */
  experimentCounts(query: ExperimentQuery): Promise<ExperimentCounts>;
  /** Writes a time range of events to a file on this host with COPY; returns the rows written. */
  exportEvents(filter: Pick<EventFilter, 'since' | 'until'>, format: ExportFormat, path: string): Promise<number>;
}

const NAME = 'duckdb';
/** sinks.duckdb.retryWindow's default, for stores built without the config section (tests, tools). */
const RETRY_WINDOW_MS = 2 * 60_000;

export function createDuckDbStore({ config, telemetry }: { config: Pick<DuckDbConfig, 'path'> & Partial<Pick<DuckDbConfig, 'memoryLimit' | 'retryWindow' | 'threads'>>; telemetry: Telemetry }): DuckDbStore {
  const events = sinkEvents(telemetry);
  let state: 'new' | 'open' | 'closed' = 'new';
  let starting: Promise<void> | undefined;
  let db: Database | undefined;
  let layout: EventLayout = [];
  let unregisterMemory: (() => void) | undefined;

  /** Runs `fn` on the connection; writes and reads alike fail with a typed error once closed. */
  async function use<T>(op: string, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (state === 'new') await store.start();
    if (state === 'closed' || !db) throw failure(op, new Error('the DuckDB store is closed'));
    try {
      return await db.exclusive(fn);
    } catch (err) {
      events.storeFailed({ sink: NAME, op }, { err: reasonOf(err) });
      throw failure(op, err);
    }
  }

  const store: DuckDbStore = {
    name: NAME,
    start() {
      starting ??= (async () => {
        const opened = await openDatabase(config.path, {
          memoryLimit: config.memoryLimit,
          threads: config.threads,
          onReopen: (reason) => events.storeReopened({ sink: NAME }, { path: config.path, invalidatedBy: reason }),
        }).catch((err: unknown) => {
          starting = undefined; // a later start() tries again (the file may be freed)
          throw err;
        });
        try {
          // A file with rows may take a while (migrations 6 and 7 rebuild the events table): say so before, not only after.
          const applied = await opened.exclusive((conn) =>
            migrate(
              conn,
              undefined,
              (m, from) => {
                if (from > 0) events.schemaMigrating({ sink: NAME }, { path: config.path, version: m.version, migration: m.description });
              },
              (m, { copied, of }) => {
                if (of > 0) events.schemaMigrating({ sink: NAME }, { path: config.path, version: m.version, copied, of }, 0);
              },
            ),
          );
          if (applied.length) events.schemaMigrated({ sink: NAME }, { path: config.path, versions: applied }, applied.length);
          layout = await opened.exclusive(readEventLayout);
        } catch (err) {
          await opened.release();
          starting = undefined;
          throw err;
        }
        db = opened;
        // A close() that raced the start wins: release what was just opened.
        if (state === 'closed') await opened.release();
        else {
          state = 'open';
          unregisterMemory = registerDuckDbMemory(telemetry, () => opened.exclusive(readDuckDbMemory));
        }
      })();
      return starting;
    },
    async write(batch: readonly TrackEvent[]) {
      const result = await use('write', (conn) => writeEvents(conn, layout, batch, config.retryWindow ?? RETRY_WINDOW_MS, db?.eventsMark));
      if (result.stored) events.eventsStored({ sink: NAME }, {}, result.stored);
      if (result.duplicates) events.duplicatesSkipped({ sink: NAME }, {}, result.duplicates);
    },
    async writeRecords(batch: readonly ServiceRecord[]) {
      const stored = await use('writeRecords', (conn) => writeRecords(conn, batch));
      for (const [kind, n] of stored) if (n) events.recordsStored({ sink: NAME, kind }, {}, n);
    },
    async healthcheck(): Promise<Health> {
      if (state !== 'open' || !db) return down(`DuckDB store is ${state === 'new' ? 'not started' : 'closed'}`);
      try {
        await db.exclusive((conn) => conn.run('SELECT 1'));
        return up(config.path);
      } catch (err) {
        return down(`DuckDB: ${reasonOf(err)}`);
      }
    },
    async close() {
      if (state === 'closed') return;
      const wasOpen = state === 'open';
      state = 'closed';
      unregisterMemory?.();
      if (wasOpen) await db?.release();
    },
    queryEvents: (filter = {}) => use('queryEvents', (conn) => queryEvents(conn, filter)),
    queryEventPage: (filter, maxBytes) => use('queryEvents', (conn) => readEventPage(conn, filter, maxBytes)),
    countEvents: (filter = {}) => use('countEvents', (conn) => countEvents(conn, filter)),
    countRecords: (kind) => use('countRecords', (conn) => countRecords(conn, kind)),
    readRecords: (kind) => use('readRecords', (conn) => readRecords(conn, kind)),
    deleteEvents(owner) {
      const value = 'vid' in owner ? owner.vid : owner.uid;
      if (typeof value !== 'string' || value === '') return Promise.reject(new SinkQueryError(NAME, 'deleteEvents needs a vid or a uid'));
      return use('deleteEvents', (conn) => deleteEvents(conn, owner));
    },
    pruneOlderThan: (ms) => use('pruneOlderThan', (conn) => pruneEvents(conn, ms)),
    get: (slug) => use('links.get', (conn) => getLink(conn, slug)),
    put: (link: ShortLink) => use('links.put', (conn) => putLink(conn, link)),
    list: () => use('links.list', listLinks),
    delete: (slug) => use('links.delete', (conn) => deleteLink(conn, slug)),
    linkHistory: (slug) => use('links.history', (conn) => linkHistory(conn, slug)),
    stats: (range) => use('stats', (conn) => readStats(conn, range)),
    experimentCounts: (query) => use('experiments', (conn) => readExperimentCounts(conn, query)),
    exportEvents: (filter, format, path) => use('export', (conn) => copyEvents(conn, filter, format, path)),
  };
  return store;
}

/** Writes fail with SinkWriteError (the consumer's contract); reads keep their own typed errors. */
function failure(op: string, err: unknown): Error {
  if (err instanceof SinkWriteError || err instanceof SinkQueryError) return err;
  const isWrite = op === 'write' || op === 'writeRecords';
  return isWrite
    ? new SinkWriteError(NAME, `DuckDB ${op} failed: ${reasonOf(err)}`, { cause: err })
    : new SinkQueryError(NAME, `DuckDB ${op} failed: ${reasonOf(err)}`, { cause: err });
}
