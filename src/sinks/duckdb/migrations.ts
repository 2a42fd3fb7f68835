import type { DuckDBConnection } from '@duckdb/node-api';
import { SinkStartError, reasonOf } from '../errors.js';

/**
 * The DuckDB schema, as an ordered list of migrations. A migration is never edited once released: a file
 * at version N gets exactly migrations N+1.. applied, each in its own transaction with its version row, so a
 * crash mid-upgrade leaves the file at a whole version. A test checks that the final `events` columns match
 * the event model (./event-columns.ts), so a new event field needs a new migration here.
 *
 * Times are TIMESTAMP (UTC, no zone: DuckDB TIMESTAMP is zone-less and every writer converts to UTC first);
 * `created` (the client's clock) stays VARCHAR as sent. `params` and free-form record fields are JSON.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  /**
   * Work too large for one transaction (a table rebuilt), run first in steps that each commit and that resume
   * where a crash left them; `statements` then finish the migration in one transaction with its version row.
   */
  readonly prepare?: (conn: DuckDBConnection, progress: MigrationProgress) => Promise<void>;
  readonly statements: readonly string[];
}

/** What a long migration reports as it goes (rows copied so far, of how many). */
export type MigrationProgress = (detail: { copied: number; of: number }) => void;

/** The service-record tables' columns (as migration 3 made them, in that order), for the copies of migration 8. */
const RECORD_TABLE_COLUMNS = {
  logs: `id VARCHAR NOT NULL, "time" TIMESTAMP NOT NULL, subject VARCHAR NOT NULL, level VARCHAR, msg VARCHAR NOT NULL, fields JSON`,
  counters: `id VARCHAR NOT NULL, "time" TIMESTAMP NOT NULL, subject VARCHAR NOT NULL, name VARCHAR NOT NULL, amount DOUBLE NOT NULL, counter_key VARCHAR`,
  updates: `id VARCHAR NOT NULL, "time" TIMESTAMP NOT NULL, subject VARCHAR NOT NULL, table_name VARCHAR NOT NULL, row_key VARCHAR NOT NULL, row_values JSON`,
} as const;
type RecordTable = keyof typeof RECORD_TABLE_COLUMNS;
const RECORD_TABLE_NAMES = Object.keys(RECORD_TABLE_COLUMNS) as RecordTable[];

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'events and short links',
    statements: [
      `CREATE TABLE events ("eid" VARCHAR PRIMARY KEY, "received" TIMESTAMP NOT NULL, "vid" VARCHAR, "sid" VARCHAR,
        "uid" VARCHAR, "did" VARCHAR, "app" VARCHAR, "rel" VARCHAR, "ename" VARCHAR, "etyp" VARCHAR, "url" VARCHAR,
        "last" VARCHAR, "ref" VARCHAR, "rcode" VARCHAR, "aff" VARCHAR, "xid" VARCHAR, "split" VARCHAR, "ver" VARCHAR,
        "sink" VARCHAR, "outcome" VARCHAR, "source" VARCHAR, "medium" VARCHAR, "campaign" VARCHAR, "term" VARCHAR,
        "content" VARCHAR, "created" VARCHAR, "tz" VARCHAR, "device" VARCHAR, "os" VARCHAR, "ptyp" VARCHAR,
        "score" DOUBLE, "lat" DOUBLE, "lon" DOUBLE, "w" INTEGER, "h" INTEGER, "duration" DOUBLE, "cflags" INTEGER,
        "first" BOOLEAN, "origin" VARCHAR NOT NULL, "host" VARCHAR, "ip" VARCHAR, "ehash" VARCHAR, "chash" VARCHAR,
        "uhash" VARCHAR, "culture" VARCHAR, "ua" VARCHAR, "ua_browser" VARCHAR, "ua_browser_version" VARCHAR,
        "ua_os" VARCHAR, "ua_os_version" VARCHAR, "ua_device" VARCHAR, "bot_kind" VARCHAR, "country" VARCHAR,
        "region" VARCHAR, "city" VARCHAR, "geo_tz" VARCHAR, "ref_host" VARCHAR, "channel" VARCHAR, "raw" VARCHAR,
        "bot" BOOLEAN, "gpc" BOOLEAN, "params" JSON)`,
      `CREATE TABLE links (slug VARCHAR PRIMARY KEY, url VARCHAR NOT NULL, host VARCHAR,
        created TIMESTAMP NOT NULL, updated TIMESTAMP NOT NULL)`,
    ],
  },
  {
    version: 2,
    description: 'short link history',
    statements: [
      'CREATE SEQUENCE link_history_seq',
      `CREATE TABLE link_history (seq BIGINT PRIMARY KEY DEFAULT nextval('link_history_seq'), slug VARCHAR NOT NULL,
        action VARCHAR NOT NULL, url VARCHAR, host VARCHAR, changed TIMESTAMP NOT NULL)`,
    ],
  },
  {
    version: 3,
    description: 'service records: logs, counters, updates',
    statements: [
      `CREATE TABLE logs (id VARCHAR PRIMARY KEY, "time" TIMESTAMP NOT NULL, subject VARCHAR NOT NULL,
        level VARCHAR, msg VARCHAR NOT NULL, fields JSON)`,
      `CREATE TABLE counters (id VARCHAR PRIMARY KEY, "time" TIMESTAMP NOT NULL, subject VARCHAR NOT NULL,
        name VARCHAR NOT NULL, amount DOUBLE NOT NULL, counter_key VARCHAR)`,
      `CREATE TABLE updates (id VARCHAR PRIMARY KEY, "time" TIMESTAMP NOT NULL, subject VARCHAR NOT NULL,
        table_name VARCHAR NOT NULL, row_key VARCHAR NOT NULL, row_values JSON)`,
    ],
  },
  {
    version: 4,
    description: 'params with lone surrogates repaired',
    statements: [
      // Gateways before this version stored params holding a lone surrogate (from a JSON escape such as
      // "\udfff"), written by JSON.stringify as that escape, on which DuckDB's JSON export fails for the whole
      // file. JSON.stringify escapes surrogates only when they are lone, so every such escape becomes \ufffd
      // (U+FFFD, as the gateway now does at ingestion). Escaped backslashes are set aside first (as chr(1),
      // which JSON text cannot hold raw), so a literal backslash followed by "udfff" is left alone.
      `UPDATE events SET params = CAST(replace(regexp_replace(replace(CAST(params AS VARCHAR), '\\\\', chr(1)),
        '\\\\u[dD][89a-fA-F][0-9a-fA-F]{2}', '\\\\ufffd', 'g'), chr(1), '\\\\') AS JSON)
        WHERE regexp_matches(CAST(params AS VARCHAR), '\\\\u[dD][89a-fA-F]')`,
    ],
  },
  {
    version: 5,
    description: 'trace id of the request',
    statements: ['ALTER TABLE events ADD COLUMN "trace_id" VARCHAR'],
  },
  {
    version: 6,
    description: 'events keyed by (received, eid)',
    // A primary key on eid alone is an index DuckDB must hold whole in memory when eids are random (clients' own
    // ids): ~87 bytes an event, until the memory limit fails every write. Led by the receive time, the key is
    // written where the newest events are and the rest stays on disk (./event-writer.ts). DuckDB cannot change a
    // primary key in place, so the table is copied, in receive order and in slices (copyEventsByReceived): one
    // transaction for the whole table needed more than a 512 MB memory limit from about 3 million events.
    prepare: copyEventsByReceived,
    statements: ['DROP TABLE events', 'ALTER TABLE events_v6 RENAME TO events'],
  },
  {
    version: 7,
    description: 'events without a primary key',
    // DuckDB checks a primary key with an ART index it updates on every append: ~6 of the ~28 µs an event cost to
    // store, and ~100 MB of a consumer's memory. The writer looks up a batch's (received, eid) pairs instead, in
    // the row groups of its receive times (./event-writer.ts). A primary key cannot be dropped in DuckDB, so the
    // table is copied again, as migration 6 did.
    prepare: (conn, progress) => copyEventsByReceived(conn, progress, COPY_SLICE_ROWS, { table: 'events_v7', primaryKey: false }),
    statements: ['DROP TABLE events', 'ALTER TABLE events_v7 RENAME TO events'],
  },
  {
    version: 8,
    description: 'service records keyed by (time, id)',
    // Keyed by id alone, as events once were by eid (migration 6), the index had to be held whole in memory: records'
    // ids are their NATS message ids, random when producers set them. With random ids at the 128 MB default limit
    // every write failed after about 1.5 million records (bench/HISTORY.md); led by the time, the index stayed at
    // 3-13 MB through 3 million. (time, id) is also the Cassandra sink's key (setup/schema.cql), and a redelivered
    // record keeps its time (its own, else the time the stream stored it), so it is still stored once.
    prepare: async (conn, progress) => {
      for (const table of RECORD_TABLE_NAMES) await copyRecordsByTime(conn, progress, table);
    },
    statements: RECORD_TABLE_NAMES.flatMap((table) => [`DROP TABLE ${table}`, `ALTER TABLE ${table}_v8 RENAME TO ${table}`]),
  },
];

export const LATEST_VERSION = MIGRATIONS.length;

/** The version of the file: 0 for a new file. */
export async function schemaVersion(conn: DuckDBConnection): Promise<number> {
  await conn.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied TIMESTAMP NOT NULL)');
  const rows = (await conn.runAndReadAll('SELECT coalesce(max(version), 0) AS v FROM schema_version')).getRowObjectsJS();
  return Number(rows[0]?.v ?? 0);
}

/**
 * Brings the file to `target` (the latest by default; tests pass a lower one to build an old file), telling
 * `starting` before each migration and `progress` as a long one goes. Returns the versions applied. A file newer than this code is refused rather than written blindly.
 */
export async function migrate(
  conn: DuckDBConnection,
  target = LATEST_VERSION,
  starting: (m: Migration, from: number) => void = () => undefined,
  progress: (m: Migration, detail: { copied: number; of: number }) => void = () => undefined,
): Promise<number[]> {
  const from = await schemaVersion(conn);
  if (from > LATEST_VERSION) {
    throw new SinkStartError('duckdb', `the DuckDB file is at schema version ${from}, newer than this Gatehouse (${LATEST_VERSION})`);
  }
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= from || m.version > target) continue;
    starting(m, from);
    try {
      await m.prepare?.(conn, (detail) => progress(m, detail));
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw new SinkStartError('duckdb', `schema migration ${m.version} (${m.description}) failed: ${reasonOf(err)}`, { cause: err });
    }
    await conn.run('BEGIN TRANSACTION');
    try {
      for (const sql of m.statements) await conn.run(sql);
      await conn.run('INSERT INTO schema_version VALUES (?, now())', [m.version]);
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw new SinkStartError('duckdb', `schema migration ${m.version} (${m.description}) failed: ${reasonOf(err)}`, { cause: err });
    }
    applied.push(m.version);
  }
  return applied;
}

/** Rows per slice of a table copy: each slice is one transaction, sorted on its own. */
const COPY_SLICE_ROWS = 250_000;

/** The table a copy of `events` goes to: migration 6's, keyed by (received, eid), or migration 7's, without a key. */
export interface CopyTarget {
  readonly table: 'events_v6' | 'events_v7';
  readonly primaryKey: boolean;
}

/**
 * Copies `events` into a new table (by default migration 6's `events_v6`, keyed by received, eid), oldest first,
 * a slice of receive times per transaction. Each slice commits whole, so after a crash the copy goes on after the
 * newest receive time copied.
 */
export async function copyEventsByReceived(
  conn: DuckDBConnection,
  progress: MigrationProgress,
  sliceRows = COPY_SLICE_ROWS,
  target: CopyTarget = { table: 'events_v6', primaryKey: true },
): Promise<void> {
  const into = target.table;
  await copyInTimeSlices(conn, progress, sliceRows, {
    from: 'events',
    into,
    time: 'received',
    order: '"received"',
    create: async () => {
      await conn.run(`CREATE TABLE ${into} AS SELECT * FROM events LIMIT 0`);
      await conn.run(`ALTER TABLE ${into} ALTER COLUMN "origin" SET NOT NULL`);
      if (target.primaryKey) {
        await conn.run(`ALTER TABLE ${into} ADD PRIMARY KEY ("received", "eid")`);
      } else {
        await conn.run(`ALTER TABLE ${into} ALTER COLUMN "received" SET NOT NULL`);
        await conn.run(`ALTER TABLE ${into} ALTER COLUMN "eid" SET NOT NULL`);
      }
    },
  });
}

/** Copies a service-record table into `<table>_v8`, keyed by (time, id) (migration 8), a slice of times per transaction. */
export async function copyRecordsByTime(conn: DuckDBConnection, progress: MigrationProgress, table: RecordTable, sliceRows = COPY_SLICE_ROWS): Promise<void> {
  await copyInTimeSlices(conn, progress, sliceRows, {
    from: table,
    into: `${table}_v8`,
    time: 'time',
    order: '"time", id',
    create: () => conn.run(`CREATE TABLE ${table}_v8 (${RECORD_TABLE_COLUMNS[table]}, PRIMARY KEY ("time", id))`),
  });
}

interface TimeSlicedCopy {
  readonly from: string;
  readonly into: string;
  /** The column the slices are cut on; every row with one value of it goes in the same slice. */
  readonly time: string;
  readonly order: string;
  /** Creates `into`, empty (in the transaction that the copy starts with). */
  readonly create: () => Promise<unknown>;
}

/**
 * Copies `from` into a new table, oldest first, a slice of `time` values per transaction: one transaction for a
 * whole large table can need more memory than the limit (the table's rows and the new key's index at once). Each
 * slice commits whole, so after a crash the copy goes on after the newest time copied.
 */
async function copyInTimeSlices(conn: DuckDBConnection, progress: MigrationProgress, sliceRows: number, copy: TimeSlicedCopy): Promise<void> {
  const { from, into, time, order } = copy;
  const exists = await conn.runAndReadAll(`SELECT 1 FROM duckdb_tables() WHERE table_name = '${into}' AND database_name = current_database()`);
  if (exists.getRows().length === 0) {
    await conn.run('BEGIN TRANSACTION');
    await copy.create();
    await conn.run('COMMIT');
  }
  const count = async (table: string) => Number((await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0]?.[0] ?? 0);
  const of = await count(from);
  let copied = await count(into);
  progress({ copied, of });
  for (;;) {
    // After the newest time copied (none yet: from the start), up to the slice's last time.
    const after = `(SELECT coalesce(max("${time}"), TIMESTAMP '-infinity') FROM ${into})`;
    const end = await conn.runAndReadAll(
      `SELECT "${time}" FROM ${from} WHERE "${time}" > ${after} ORDER BY "${time}" LIMIT 1 OFFSET ${sliceRows - 1}`,
    );
    const upTo = end.getRows().length > 0 ? `AND "${time}" <= $1` : '';
    await conn.run('BEGIN TRANSACTION');
    const inserted = await conn.run(
      `INSERT INTO ${into} SELECT * FROM ${from} WHERE "${time}" > ${after} ${upTo} ORDER BY ${order}`,
      upTo ? [end.getRows()[0]?.[0] ?? null] : [],
    );
    await conn.run('COMMIT');
    if (inserted.rowsChanged === 0) return;
    copied += Number(inserted.rowsChanged);
    progress({ copied, of });
    if (!upTo) return;
  }
}
