import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { SinkStartError, reasonOf } from '../errors.js';

/**
 * One open DuckDB file, shared by every store of the process that names it. DuckDB locks the file for
 * one process, and within a process two instances on one file would fight over it, so the file is opened
 * once and reference-counted (the gateway's link store and the consumer's sink share it in embedded mode).
 *
 * All work goes through one connection and one queue: a DuckDB connection holds one transaction at a time,
 * so interleaving two batches' BEGIN/COMMIT on it would mix them.
 */
export interface Database {
  readonly path: string;
  /** Runs `fn` alone on the connection, after every earlier call has settled. */
  exclusive<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T>;
  /** What every holder of this file shares about its events (./event-writer.ts, EventsMark). */
  readonly eventsMark: EventsMark;
  /** Drops this holder's reference; the file is closed (and its lock freed) when the last one is released. */
  release(): Promise<void>;
}

interface Handles {
  instance: DuckDBInstance;
  conn: DuckDBConnection;
}

/**
 * At least the newest receive time (µs) stored in the file's `events`, once read: no event received after it can be
 * stored already. Shared by every store on the file, since each one's writes move it. Deletes leave it higher than
 * the newest row, which only means a lookup that finds nothing.
 */
export interface EventsMark {
  newestUs: bigint | undefined;
}

interface Entry {
  /** The instance and connection in use; replaced when the file is opened again after DuckDB invalidated it. */
  opened: Promise<Handles>;
  refs: number;
  mark: EventsMark;
  tail: Promise<unknown>;
  readonly path: string;
  readonly options: OpenOptions;
  /** Why DuckDB invalidated the attached file (a failed checkpoint, a fatal error): open it again before the next use. */
  invalid: string | undefined;
}

const open = new Map<string, Entry>();

const IN_MEMORY = ':memory:';

export interface OpenOptions {
  /** DuckDB's `memory_limit` in bytes (its buffer pool; beyond it DuckDB spills to `<file>.tmp`). 0: DuckDB's default. */
  readonly memoryLimit?: number;
  /** DuckDB's worker threads. 0 or absent: one per CPU this process may run on (duckDbThreads). */
  readonly threads?: number;
  /** Called when the file was attached again after DuckDB invalidated it, with the error that did. */
  readonly onReopen?: (reason: string) => void;
}

/**
 * DuckDB invalidates an attached file when a checkpoint fails (the disk full while it writes, memory it cannot
 * get) or after a fatal error: from then on every statement fails ("Detach and reattach it before using it
 * again"), also once the cause is gone. The file itself is consistent: what was committed is in it or its WAL.
 */
export function isInvalidated(err: unknown): boolean {
  return err instanceof Error && /has been invalidated|detach and reattach/i.test(err.message);
}

/** Opens (or shares, by path) a database; the first opener's options apply while it stays open. */
export async function openDatabase(path: string, options: OpenOptions = {}): Promise<Database> {
  const key = path === IN_MEMORY ? `${IN_MEMORY}${Math.random()}` : resolve(path);
  let entry = open.get(key);
  if (!entry) {
    entry = { opened: connect(path, options), refs: 0, tail: Promise.resolve(), mark: { newestUs: undefined }, path, options, invalid: undefined };
    open.set(key, entry);
  }
  entry.refs++;
  const current = entry;
  try {
    await current.opened;
  } catch (err) {
    releaseEntry(key, current, undefined);
    throw err;
  }
  let released: Promise<void> | undefined;
  return {
    path,
    eventsMark: current.mark,
    exclusive<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
      const run = current.tail.then(async () => {
        // Opened again at the first use after an invalidation, so the caller's retry (a redelivery, the next
        // request) finds the file working once the cause is gone; until then this throws, and the next use tries again.
        if (current.invalid) await reopen(current);
        const { conn } = await current.opened;
        try {
          return await fn(conn);
        } catch (err) {
          if (isInvalidated(err) && path !== IN_MEMORY) current.invalid = (err as Error).message.split('\n')[0];
          throw err;
        }
      });
      // The queue continues after a failure; the failure goes to this caller only.
      current.tail = run.catch(() => undefined);
      return run;
    },
    release() {
      // Close only after queued work is done, so a close never cuts a batch in half.
      released ??= current.tail.then(async () => releaseEntry(key, current, await current.opened.catch(() => undefined)));
      return released;
    },
  };
}

/** Closes the invalidated instance and attaches the file again (DuckDB replays its WAL); throws if that fails. */
async function reopen(entry: Entry): Promise<void> {
  const old = await entry.opened.catch(() => undefined);
  try {
    old?.conn.closeSync();
    old?.instance.closeSync();
  } catch {
    // An invalidated instance may refuse a clean close; it is dropped either way.
  }
  entry.opened = connect(entry.path, entry.options);
  await entry.opened;
  const reason = entry.invalid ?? '';
  entry.invalid = undefined;
  entry.options.onReopen?.(reason);
}

function releaseEntry(key: string, entry: Entry, handles: Handles | undefined): void {
  entry.refs--;
  if (entry.refs > 0) return;
  if (open.get(key) === entry) open.delete(key);
  handles?.conn.closeSync();
  handles?.instance.closeSync();
}

/**
 * Rows per row group in the file (DuckDB's default is 122,880). A checkpoint (every 16 MB of WAL) rewrites the
 * table's last, still open row group, and writes wait for it: with the default that pause grew to ~0.5 s as the
 * row group filled (bench/HISTORY.md); with 16,384 rows it stays under ~0.2 s, and a drain is ~15% faster.
 */
export const ROW_GROUP_SIZE = 16_384;
/**
 * WAL size at which DuckDB checkpoints, inside the commit that crosses it (DuckDB's default is 16 MB). Writes wait
 * for the checkpoint, so its pause sets the consumer's tail lag. In alternating runs at 5,000 events/s (two rounds,
 * bench/HISTORY.md) 8 MiB gave lag p99 951 and 777 ms against 1,163 and 1,095 with the default, slowest writes
 * 907 and 751 ms against 1,190 and 869, and the same drain throughput; 4 MiB cut the pauses more but made the
 * drain ~10% slower.
 */
export const CHECKPOINT_THRESHOLD = '8MiB';
/** The name the file is attached under (queries use unqualified names after USE). */
const ATTACHED = 'gatehouse';

/**
 * DuckDB's worker threads: the configured number, else one per CPU this process may run on. DuckDB on its own
 * starts one per core of the machine, whatever the process's CPU affinity; in a process pinned to fewer (taskset,
 * a cpuset) the extra threads only contend for its cores. Measured on a consumer pinned to one of two cores
 * (bench/HISTORY.md): CPU per stored event 28.6 µs with 1 thread against 32.6 with DuckDB's 2 (means of seven
 * alternating drains of 200,000 events), and the slowest write 158-210 ms against 212-341.
 */
function duckDbThreads(configured: number | undefined): number {
  return configured && configured > 0 ? configured : availableParallelism();
}

async function connect(path: string, options: OpenOptions): Promise<Handles> {
  // DuckDB takes the limit as text; whole KiB keep the value exact enough and in a unit it parses.
  const limit: Record<string, string> = {
    threads: String(duckDbThreads(options.threads)),
    ...(options.memoryLimit ? { memory_limit: `${Math.max(1, Math.floor(options.memoryLimit / 1024))}KiB` } : {}),
  };
  try {
    if (path === IN_MEMORY) {
      const instance = await DuckDBInstance.create(path, limit);
      return { instance, conn: await instance.connect() };
    }
    const file = resolve(path);
    mkdirSync(dirname(file), { recursive: true });
    // The row group size is an option of ATTACH, so the file is attached to an in-memory instance; spills go
    // next to the file, as they would had the instance opened it.
    const instance = await DuckDBInstance.create(IN_MEMORY, { temp_directory: `${file}.tmp`, checkpoint_threshold: CHECKPOINT_THRESHOLD, ...limit });
    const conn = await instance.connect();
    try {
      await conn.run(`ATTACH ${sqlString(file)} AS ${ATTACHED} (ROW_GROUP_SIZE ${ROW_GROUP_SIZE})`);
      await conn.run(`USE ${ATTACHED}`);
    } catch (err) {
      conn.closeSync();
      instance.closeSync();
      throw err;
    }
    return { instance, conn };
  } catch (err) {
    throw new SinkStartError('duckdb', `cannot open DuckDB file ${path}: ${reasonOf(err)}`, {
      cause: err,
    });
  }
}

/** A SQL string literal of `text`, for the places DuckDB takes no parameter (file paths in ATTACH and COPY). */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
