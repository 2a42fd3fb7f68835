import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, listValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { EVENT_COLUMNS, coerce, receivedDate, type ColumnKind } from '../event-columns.js';
import type { TrackEvent } from '../../track/event.js';
import { SinkStartError } from '../errors.js';
import { SinkWriteError } from '../sink.js';

/** The `events` columns in table order, each with its kind (undefined: a column this code does not know). */
export type EventLayout = readonly { name: string; kind: ColumnKind | undefined }[];

const KINDS = new Map(EVENT_COLUMNS.map((c) => [c.name, c.kind]));

/** The SQL type a column of each kind must have: the writer fills DuckDB's vectors in that type's layout. */
export const SQL_TYPES: Readonly<Record<ColumnKind, string>> = {
  text: 'VARCHAR',
  double: 'DOUBLE',
  int: 'INTEGER',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  params: 'JSON',
};

/**
 * Reads the table's column order: the appender writes whole rows in that order. A known column whose type is not
 * the one this code writes (a file altered by hand) is refused here, at start, rather than written wrongly.
 */
export async function readEventLayout(conn: DuckDBConnection): Promise<EventLayout> {
  const rows = (
    await conn.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_name = 'events' AND table_schema = 'main' ORDER BY ordinal_position`,
    )
  ).getRowObjectsJS();
  return rows.map((r) => {
    const name = String(r.column_name);
    const kind = KINDS.get(name);
    if (kind && String(r.data_type) !== SQL_TYPES[kind]) {
      throw new SinkStartError(
        'duckdb',
        `the events column ${name} is ${String(r.data_type)} in this file; Gatehouse writes it as ${SQL_TYPES[kind]}`,
      );
    }
    return { name, kind };
  });
}

export interface WriteResult {
  stored: number;
  duplicates: number;
}

/**
 * Writes a batch in one transaction, idempotent by eid. Fast path: the Appender straight into `events`
 * (no per-row SQL). A redelivered batch trips the primary key, and the appender cannot skip rows, so the
 * batch is then rolled back and replayed through a temporary staging table with INSERT OR IGNORE. Redelivery
 * is rare, so the common case pays nothing for idempotency beyond the primary-key check itself: ~4 of the ~20 µs
 * an event costs, and ~100 ms of each checkpoint's pause (bench/HISTORY.md, the 2fcb5fa pass).
 *
 * The key is (received, eid) (migration 6): every copy the pipeline makes of an event (a redelivery, a re-sent
 * pack, a dead letter sent back) carries the receive time the gateway gave it, so the key stores it once, and
 * the key's index stays small because it grows at the newest receive time. A client's retry of its own eid is
 * a new request with a new receive time: `retryWindowMs` (sinks.duckdb.retryWindow) looks for such eids among
 * the events received that long around the batch (see withoutRetries).
 */
export async function writeEvents(conn: DuckDBConnection, layout: EventLayout, batch: readonly TrackEvent[], retryWindowMs = 0): Promise<WriteResult> {
  const distinct = toRows(batch); // before BEGIN: an invalid event fails the batch without touching the file
  const rows = retryWindowMs > 0 ? await withoutRetries(conn, distinct, retryWindowMs) : distinct;
  if (rows.events.length === 0) return { stored: 0, duplicates: batch.length };
  try {
    await inTransaction(conn, () => appendRows(conn, layout, rows, 'events'));
    return { stored: rows.events.length, duplicates: batch.length - rows.events.length };
  } catch {
    // Most likely a redelivered event; if it was anything else, the slow path fails too and reports it.
  }
  const stored = await inTransaction(conn, async () => {
    await conn.run('CREATE OR REPLACE TEMP TABLE events_staging AS SELECT * FROM main.events LIMIT 0');
    await appendRows(conn, layout, rows, 'events_staging', 'temp');
    const result = await conn.run('INSERT OR IGNORE INTO main.events SELECT * FROM temp.main.events_staging');
    await conn.run('DROP TABLE temp.main.events_staging');
    return result.rowsChanged;
  });
  return { stored, duplicates: batch.length - stored };
}

/** A UUIDv7, its first 48 bits the Unix time in milliseconds. */
const UUID_V7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * Whether the gateway made this eid: a UUIDv7 from the moment the event was received (the gateway makes one
 * while building the event, just after its receive time). Such an eid was never sent before, so no retry of it
 * can be stored; every other eid is the client's own.
 */
export function madeAtReceipt(eid: string, receivedMs: number): boolean {
  const m = UUID_V7.exec(eid);
  if (!m) return false;
  const madeMs = Number.parseInt(`${m[1]}${m[2]}`, 16);
  return madeMs >= receivedMs - 1_000 && madeMs <= receivedMs + 2_000;
}

/**
 * The rows without the client eids already stored from a request received within `windowMs` of theirs (a
 * client retrying a request whose answer it did not get). One query per batch, over the events received in
 * that span (the table is in receive order, so DuckDB reads only those row groups); none when every eid in the
 * batch is the gateway's own.
 */
async function withoutRetries(conn: DuckDBConnection, rows: Rows, windowMs: number): Promise<Rows> {
  const clientEids: string[] = [];
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  rows.events.forEach((event, i) => {
    const receivedMs = Number((rows.received[i] ?? 0n) / 1000n);
    if (madeAtReceipt(event.eid, receivedMs)) return;
    clientEids.push(event.eid);
    from = Math.min(from, receivedMs);
    to = Math.max(to, receivedMs);
  });
  if (clientEids.length === 0) return rows;
  const found = await conn.runAndReadAll(
    'SELECT DISTINCT eid FROM main.events WHERE received BETWEEN make_timestamp($1::BIGINT) AND make_timestamp($2::BIGINT) AND eid IN (SELECT unnest($3::VARCHAR[]))',
    [BigInt(from - windowMs) * 1000n, BigInt(to + windowMs) * 1000n, listValue(clientEids)],
  );
  const stored = new Set(found.getRows().map(([eid]) => String(eid)));
  if (stored.size === 0) return rows;
  const events: TrackEvent[] = [];
  const received = new BigInt64Array(rows.events.length);
  rows.events.forEach((event, i) => {
    if (stored.has(event.eid)) return;
    received[events.length] = rows.received[i] ?? 0n;
    events.push(event);
  });
  return { events, received };
}

/** The distinct events of a batch (the first of an eid wins) and their receive times in microseconds. */
interface Rows {
  readonly events: TrackEvent[];
  readonly received: BigInt64Array;
}

function toRows(batch: readonly TrackEvent[]): Rows {
  const seen = new Set<string>();
  const events: TrackEvent[] = [];
  const received = new BigInt64Array(batch.length);
  for (const event of batch) {
    if (seen.has(event.eid)) continue;
    seen.add(event.eid);
    received[events.length] = BigInt(receivedDate(event).getTime()) * 1000n;
    events.push(event);
  }
  return { events, received };
}

/** Rows per data chunk: DuckDB's vector size. */
const CHUNK_ROWS = duckdb.vector_size();

/**
 * Appends the rows a data chunk at a time, each column filled as one vector: numbers, booleans and times are copied
 * in from a typed array and NULLs are bits of a validity mask, so only strings cross into DuckDB one call per value.
 * The per-value appender made one call per cell, NULL or not (62 columns, most of them NULL in a typical event).
 */
async function appendRows(conn: DuckDBConnection, layout: EventLayout, rows: Rows, table: string, catalog?: string) {
  const appender = await conn.createAppender(table, 'main', catalog ?? null);
  try {
    const chunk = DuckDBDataChunk.create(columnTypes(appender, layout.length));
    const cells = new Cells(layout);
    for (let from = 0; from < rows.events.length; from += CHUNK_ROWS) {
      const to = Math.min(rows.events.length, from + CHUNK_ROWS);
      cells.load(rows.events, from, to);
      const received = rows.received.subarray(from, to);
      for (let c = 0; c < layout.length; c++) {
        fillColumn(duckdb.data_chunk_get_vector(chunk.chunk, c), layout[c]!.kind, cells.columns[c]!, received, to - from);
      }
      chunk.rowCount = to - from;
      appender.appendDataChunk(chunk);
      chunk.reset();
    }
    appender.flushSync();
  } catch (err) {
    // A failed flush (a redelivered eid tripping the primary key) leaves its rows in the appender. Closing it, or
    // its finalizer whenever the garbage collector gets to it, would flush them again into the connection's
    // transaction of that moment (the slow path's), aborting it: "Current transaction is aborted (please ROLLBACK)"
    // on a batch that only held redeliveries. Cleared, the failure stays in the transaction it belongs to.
    appender.clear();
    throw err;
  } finally {
    appender.closeSync();
  }
}

function columnTypes(appender: DuckDBAppender, width: number) {
  if (appender.columnCount !== width) {
    throw new SinkWriteError('duckdb', `the events table has ${appender.columnCount} columns, ${width} when the store started`);
  }
  return Array.from({ length: width }, (_, i) => appender.columnType(i));
}

/**
 * One chunk's field values, column by column. Each event's own fields are read once (an event holds ~25 of the 62
 * columns): reading every column of every event by name made ~60% of the reads misses, at a lookup each.
 */
class Cells {
  readonly columns: unknown[][];
  private readonly position: ReadonlyMap<string, number>;

  constructor(layout: EventLayout) {
    this.columns = layout.map(() => new Array<unknown>(CHUNK_ROWS));
    // Only columns this code knows are read from an event; an unknown column stays NULL.
    this.position = new Map(layout.flatMap((c, i) => (c.kind && c.kind !== 'timestamp' ? [[c.name, i] as const] : [])));
  }

  /** Takes the fields of events [from, to); every cell of the previous chunk is cleared first. */
  load(events: readonly TrackEvent[], from: number, to: number): void {
    for (const column of this.columns) column.fill(undefined);
    for (let r = 0; r < to - from; r++) {
      const event = events[from + r] as unknown as Record<string, unknown>;
      for (const name in event) {
        const c = this.position.get(name);
        if (c !== undefined) this.columns[c]![r] = event[name];
      }
    }
  }
}

// Scratch space for one column of one chunk, reused: a column is filled and copied into DuckDB without an await.
const validity = new Uint8Array(CHUNK_ROWS / 8);
const doubles = new Float64Array(CHUNK_ROWS);
const integers = new Int32Array(CHUNK_ROWS);
const booleans = new Uint8Array(CHUNK_ROWS);

/** Writes n rows of one column into its vector; a value that cannot be coerced is NULL (see columnValue). */
function fillColumn(vector: duckdb.Vector, kind: ColumnKind | undefined, cells: readonly unknown[], received: BigInt64Array, n: number): void {
  if (kind === 'timestamp') {
    // receivedDate() checked every row before the transaction began: none is NULL.
    copyIn(vector, received);
    return;
  }
  validity.fill(0, 0, Math.ceil(n / 8));
  let nulls = 0;
  for (let r = 0; r < n; r++) {
    const v = kind ? coerce(cells[r], kind) : null;
    if (v === null) {
      nulls++;
      continue;
    }
    validity[r >> 3]! |= 1 << (r & 7);
    switch (kind) {
      case 'text':
        duckdb.vector_assign_string_element(vector, r, v as string);
        break;
      case 'params':
        duckdb.vector_assign_string_element(vector, r, JSON.stringify(v));
        break;
      case 'double':
        doubles[r] = v as number;
        break;
      case 'int':
        integers[r] = v as number;
        break;
      case 'boolean':
        booleans[r] = v === true ? 1 : 0;
        break;
    }
  }
  if (kind === 'double') copyIn(vector, doubles.subarray(0, n));
  else if (kind === 'int') copyIn(vector, integers.subarray(0, n));
  else if (kind === 'boolean') copyIn(vector, booleans.subarray(0, n));
  if (nulls > 0) {
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, Math.ceil(n / 8));
  }
}

function copyIn(vector: duckdb.Vector, values: Float64Array | Int32Array | Uint8Array | BigInt64Array): void {
  duckdb.copy_data_to_vector(vector, 0, values.buffer as ArrayBuffer, values.byteOffset, values.byteLength);
}

export async function inTransaction<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await conn.run('BEGIN TRANSACTION');
  try {
    const result = await fn();
    await conn.run('COMMIT');
    return result;
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
