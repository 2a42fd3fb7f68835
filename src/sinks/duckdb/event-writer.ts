import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, listValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { EVENT_COLUMNS, coerce, receivedDate, type ColumnKind } from '../event-columns.js';
import type { TrackEvent } from '../../track/event.js';
import { SinkStartError } from '../errors.js';
import { SinkWriteError } from '../sink.js';
import type { EventsMark } from './database.js';

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
 * Writes a batch in one transaction, idempotent by (received, eid): the events already stored are looked up first
 * (withoutStored), and the rest go in through the Appender (no per-row SQL). Every copy the pipeline makes of an event
 * (a redelivery, a re-sent pack, a dead letter sent back, a spool replay) carries the receive time the gateway gave
 * it, so that pair stores it once. A client's retry of its own eid is a new request with a new receive time:
 * `retryWindowMs` (sinks.duckdb.retryWindow) looks for such eids among the events received that long around it.
 *
 * The table has no primary key (migration 7): DuckDB checks one with an ART index updated on every append, which
 * cost ~6 of the ~28 µs an event took to store and ~100 MB of a consumer's memory (bench/HISTORY.md). The lookup
 * reads only the row groups of the batch's receive times (the table is in receive order, so their zone maps rule
 * the rest out), and skips the events received after the newest one stored (`mark`, shared by the file's stores):
 * those cannot be stored yet, and in a stream that comes in receive order they are most of every batch. It needs
 * one writer per file, which there is: DuckDB locks the file to one process, and within it every write goes
 * through one connection's queue (./database.ts), the lookup and the append in one transaction.
 */
export async function writeEvents(
  conn: DuckDBConnection,
  layout: EventLayout,
  batch: readonly TrackEvent[],
  retryWindowMs = 0,
  mark: EventsMark = { newestUs: undefined },
): Promise<WriteResult> {
  const distinct = toRows(batch); // before BEGIN: an invalid event fails the batch without touching the file
  const stored = await inTransaction(conn, async () => {
    mark.newestUs ??= await newestReceived(conn);
    const rows = await withoutStored(conn, distinct, retryWindowMs, mark.newestUs);
    if (rows.events.length > 0) await appendRows(conn, layout, rows, 'events');
    // Raised before the commit: if it fails, the mark is only higher than needed.
    for (const at of rows.received) if (at > mark.newestUs) mark.newestUs = at;
    return rows.events.length;
  });
  return { stored, duplicates: batch.length - stored };
}

/** The newest receive time stored, in µs (-1 in an empty table). */
async function newestReceived(conn: DuckDBConnection): Promise<bigint> {
  const read = await conn.runAndReadAll('SELECT coalesce(epoch_us(max("received")), -1) FROM main.events');
  return BigInt(read.getRows()[0]?.[0] as bigint);
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

/** Where to look for one event of a batch: receive times [from, to] in microseconds. */
interface Look {
  readonly eid: string;
  readonly from: bigint;
  readonly to: bigint;
}

/** Receive times (µs) looked through in one scan, and the eids looked for there. */
export interface Span {
  from: bigint;
  to: bigint;
  eids: string[];
}

/** Between the eids of a lookup passed as one text (an eid holding it is passed in a list instead). */
const EID_SEPARATOR = ',';

/** Spans closer than this are read as one: a zone map rules out a row group, not single rows. */
const SPAN_GAP_US = 10_000_000n;
/** Most scans in one lookup; past it the closest spans are joined (a batch spread over more times is rare). */
const MAX_SPANS = 16;

/**
 * Joins the events' receive-time ranges into few spans to scan: overlapping or close ranges become one, and if
 * more than MAX_SPANS remain, the smallest gaps between them are closed first.
 */
export function lookupSpans(looks: readonly Look[]): Span[] {
  const sorted = [...looks].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const spans: Span[] = [];
  for (const look of sorted) {
    const last = spans.at(-1);
    if (last && look.from <= last.to + SPAN_GAP_US) {
      if (look.to > last.to) last.to = look.to;
      last.eids.push(look.eid);
    } else {
      spans.push({ from: look.from, to: look.to, eids: [look.eid] });
    }
  }
  while (spans.length > MAX_SPANS) {
    let closest = 1;
    for (let i = 2; i < spans.length; i++) {
      if (spans[i]!.from - spans[i - 1]!.to < spans[closest]!.from - spans[closest - 1]!.to) closest = i;
    }
    const [next] = spans.splice(closest, 1);
    const prev = spans[closest - 1]!;
    if (next!.to > prev.to) prev.to = next!.to;
    prev.eids.push(...next!.eids);
  }
  return spans;
}

/**
 * The rows not stored yet. An event is stored when its (received, eid) is; a client's own eid also when it is
 * stored with a receive time within `windowMs` of this one (the client retried a request whose answer it did not
 * get). One query per batch: a scan per span of receive times (lookupSpans), each reading only its row groups.
 */
async function withoutStored(conn: DuckDBConnection, rows: Rows, windowMs: number, newestUs: bigint): Promise<Rows> {
  const windowUs = BigInt(windowMs) * 1000n;
  const looks: (Look | undefined)[] = rows.events.map((event, i) => {
    const at = rows.received[i] ?? 0n;
    const exact = windowUs === 0n || madeAtReceipt(event.eid, Number(at / 1000n));
    // Received after everything stored: this (received, eid) cannot be stored yet. Events come roughly in receive
    // order, so most of a batch needs no lookup.
    if (exact && at > newestUs) return undefined;
    return { eid: event.eid, from: exact ? at : at - windowUs, to: exact ? at : at + windowUs };
  });
  const wanted = looks.filter((l) => l !== undefined);
  if (wanted.length === 0) return rows;
  const spans = lookupSpans(wanted);
  // The eids go in as one text split by DuckDB: binding a list of 2,000 values cost ~1 ms more a batch.
  const joined = !wanted.some((l) => l.eid.includes(EID_SEPARATOR));
  const eidsOf = (k: number) =>
    joined ? `unnest(string_split($${3 * k + 3}::VARCHAR, '${EID_SEPARATOR}'))` : `unnest($${3 * k + 3}::VARCHAR[])`;
  const scans = spans.map(
    (_, k) =>
      `SELECT eid, epoch_us("received") AS at FROM main.events WHERE "received" BETWEEN make_timestamp($${3 * k + 1}::BIGINT)
       AND make_timestamp($${3 * k + 2}::BIGINT) AND eid IN (SELECT ${eidsOf(k)})`,
  );
  const found = await conn.runAndReadAll(
    scans.join(' UNION ALL '),
    spans.flatMap((s) => [s.from, s.to, joined ? s.eids.join(EID_SEPARATOR) : listValue(s.eids)]),
  );
  const hits = found.getRows();
  if (hits.length === 0) return rows;
  const storedAt = new Map<string, bigint[]>();
  for (const [eid, at] of hits) {
    const key = String(eid);
    const times = storedAt.get(key) ?? [];
    times.push(BigInt(at as bigint));
    storedAt.set(key, times);
  }
  const events: TrackEvent[] = [];
  const received = new BigInt64Array(rows.events.length);
  rows.events.forEach((event, i) => {
    const look = looks[i];
    if (look && storedAt.get(event.eid)?.some((at) => at >= look.from && at <= look.to)) return;
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
/** A `duckdb_string_t`: 16 bytes, a value of up to 12 bytes inline (the C API, duckdb.h). */
const STRING_T_BYTES = 16;
const STRING_INLINE_BYTES = 12;

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
    // A failed flush (a constraint, memory) leaves its rows in the appender. Closing it, or its finalizer whenever
    // the garbage collector gets to it, would flush them again into the connection's transaction of that moment
    // (the next batch's), aborting it: "Current transaction is aborted (please ROLLBACK)". Cleared, the failure
    // stays in the transaction it belongs to.
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
const strings = new Uint8Array(CHUNK_ROWS * STRING_T_BYTES);
const stringLengths = new DataView(strings.buffer);
const longRows = new Int32Array(CHUNK_ROWS);
const longValues = new Array<string>(CHUNK_ROWS);

/** Writes n rows of one column into its vector; a value that cannot be coerced is NULL (see columnValue). */
function fillColumn(vector: duckdb.Vector, kind: ColumnKind | undefined, cells: readonly unknown[], received: BigInt64Array, n: number): void {
  if (kind === 'timestamp') {
    // receivedDate() checked every row before the transaction began: none is NULL.
    copyIn(vector, received);
    return;
  }
  if (kind === 'text') {
    fillText(vector, cells, n);
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
  if (nulls > 0) copyValidityIn(vector, n);
}

/**
 * A text column. A VARCHAR vector's data is an array of DuckDB's 16-byte `duckdb_string_t` (the C API's layout): a
 * length, then up to 12 bytes inline, or a 4-byte prefix and a pointer into the vector's own string heap. Short
 * values (most of an event's text: names, codes, types, a truncated address) are written inline here and copied in
 * with the column's validity, one call for the column; only longer ones are handed to DuckDB one call each
 * (`vector_assign_string_element`, which also writes their 16 bytes). One such call costs ~130 ns, an inline value
 * ~13 (bench/HISTORY.md).
 */
function fillText(vector: duckdb.Vector, cells: readonly unknown[], n: number): void {
  validity.fill(0, 0, Math.ceil(n / 8));
  strings.fill(0, 0, n * STRING_T_BYTES);
  let nulls = 0;
  let longs = 0;
  for (let r = 0; r < n; r++) {
    const v = coerce(cells[r], 'text') as string | null;
    if (v === null) {
      nulls++;
      continue;
    }
    validity[r >> 3]! |= 1 << (r & 7);
    if (!writeInline(r * STRING_T_BYTES, v)) {
      longRows[longs] = r;
      longValues[longs++] = v;
    }
  }
  // A column with no inline value (most of an event's 40-odd text columns are NULL throughout) copies nothing.
  if (nulls + longs < n) copyIn(vector, strings.subarray(0, n * STRING_T_BYTES));
  for (let k = 0; k < longs; k++) duckdb.vector_assign_string_element(vector, longRows[k]!, longValues[k]!);
  longValues.fill('', 0, longs);
  if (nulls > 0) copyValidityIn(vector, n);
}

/** The scratch validity mask of n rows into the vector (only when a row is NULL: a vector starts all valid). */
function copyValidityIn(vector: duckdb.Vector, n: number): void {
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, Math.ceil(n / 8));
}

/**
 * Writes `value` inline at `at` when it fits: at most 12 characters, all ASCII (one UTF-8 byte each). Non-ASCII
 * text goes through DuckDB's own call, which encodes it.
 */
function writeInline(at: number, value: string): boolean {
  const length = value.length;
  if (length > STRING_INLINE_BYTES) return false;
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0x7f) return false; // its 16 bytes are written by DuckDB's call
    strings[at + 4 + i] = code;
  }
  stringLengths.setUint32(at, length, true);
  return true;
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
