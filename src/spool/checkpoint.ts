import { open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** A place in the log: everything before `offset` of segment `seq` (and every earlier segment) is forwarded. */
export interface Position {
  readonly seq: number;
  readonly offset: number;
}

/** True when `a` lies after `b` in the log. */
export function isAfter(a: Position, b: Position): boolean {
  return a.seq > b.seq || (a.seq === b.seq && a.offset > b.offset);
}

export const CHECKPOINT_FILE = 'checkpoint.json';

/**
 * A saved checkpoint. `busFloor` (buses that number their messages: the NATS stream sequence) is a sequence
 * before any copy of a record after `position` that this spool may have published: after a crash, a re-publish
 * of those records first looks up what the stream holds after it (forwarder.ts), whatever the duplicate window.
 */
export interface Checkpoint {
  readonly position: Position;
  readonly busFloor?: number;
}

export type CheckpointRead =
  | { status: 'ok'; position: Position; busFloor?: number }
  | { status: 'missing' }
  | { status: 'corrupt'; text: string };

/**
 * Reads the checkpoint. A missing or unreadable one means "replay from the oldest segment": that only repeats
 * publishes, which the bus deduplicates by message id (within its duplicate window, with no floor to read the stream
 * from), so the checkpoint file itself needs no fsync.
 */
export async function readCheckpoint(dir: string): Promise<CheckpointRead> {
  let text: string;
  try {
    text = await readFile(join(dir, CHECKPOINT_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    throw err;
  }
  try {
    const value = JSON.parse(text) as { segment?: unknown; offset?: unknown; busFloor?: unknown };
    const { segment, offset, busFloor } = value;
    if (isCount(segment) && isCount(offset)) {
      // A file without the floor (an older version, or a bus that does not number messages) still places the log.
      return { status: 'ok', position: { seq: segment, offset }, ...(isCount(busFloor) ? { busFloor } : {}) };
    }
  } catch {
    // fall through: a torn or foreign file is treated like no checkpoint
  }
  return { status: 'corrupt', text: text.slice(0, 200) };
}

/**
 * The file's content: JSON padded with spaces to a fixed size, so an update can overwrite it in place with one
 * positional write (128 bytes at offset 0: within one sector, so never torn on disk, and a process crash cannot
 * tear a write(2)). Three 20-digit numbers still fit. A file of an older version (64 bytes, no floor) is replaced
 * once, at the first save.
 */
const RECORD_BYTES = 128;

function encodeCheckpoint({ position, busFloor }: Checkpoint): Buffer {
  const json = JSON.stringify({ segment: position.seq, offset: position.offset, ...(busFloor === undefined ? {} : { busFloor }) });
  return Buffer.from(json.padEnd(RECORD_BYTES - 1) + '\n');
}

/** Replaces the checkpoint atomically: readers see the old or the new file, never a mix (rename(2)). */
export async function writeCheckpoint(dir: string, position: Position, busFloor?: number): Promise<void> {
  const path = join(dir, CHECKPOINT_FILE);
  const tmp = `${path}.tmp`;
  await writeFile(tmp, encodeCheckpoint({ position, ...(busFloor === undefined ? {} : { busFloor }) }));
  await rename(tmp, path);
}

/**
 * The checkpoint file opened for writing in place, when it has the size this version writes; undefined when it is
 * missing or of another size (an older version's unpadded JSON), which only a replacement makes right.
 */
async function openInPlace(dir: string): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(join(dir, CHECKPOINT_FILE), 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    if ((await handle.stat()).size === RECORD_BYTES) return handle;
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  await handle.close();
  return undefined;
}

/**
 * Coalesces checkpoint writes: at most one write runs; positions requested meanwhile collapse into the latest,
 * so a fast forwarder costs one write per write latency, not one per batch. Saves overwrite the file in place on an
 * open handle: one write instead of open, write, close and rename each time, and no new block, so a gateway that
 * restarts on a full disk can still move its checkpoint. Only a missing file, or one of another size, is replaced
 * (temp file + rename).
 */
export class CheckpointWriter {
  private wanted: Checkpoint | undefined;
  private running: Promise<Position> | undefined;
  private savedPosition: Position | undefined;
  private handle: FileHandle | undefined;

  constructor(private readonly dir: string) {}

  /** Closes the file after any write in progress. */
  async close(): Promise<void> {
    await this.idle();
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  private async write(checkpoint: Checkpoint): Promise<void> {
    this.handle ??= await openInPlace(this.dir);
    if (!this.handle) {
      await writeCheckpoint(this.dir, checkpoint.position, checkpoint.busFloor);
      this.handle = await open(join(this.dir, CHECKPOINT_FILE), 'r+');
      return;
    }
    const buf = encodeCheckpoint(checkpoint);
    const { bytesWritten } = await this.handle.write(buf, 0, buf.length, 0);
    if (bytesWritten !== buf.length) throw new Error(`checkpoint: short write (${bytesWritten} of ${buf.length} bytes)`);
  }

  get saved(): Position | undefined {
    return this.savedPosition;
  }

  /** Resolves with the position on disk once `position` (or a later one) is written, with `busFloor` if given. */
  save(position: Position, busFloor?: number): Promise<Position> {
    this.wanted = { position, ...(busFloor === undefined ? {} : { busFloor }) };
    this.running ??= this.drain();
    return this.running;
  }

  /** Waits for any write in progress. Never rejects. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async drain(): Promise<Position> {
    try {
      for (let next = this.wanted; next; next = this.wanted) {
        this.wanted = undefined;
        try {
          await this.write(next);
        } catch (err) {
          // Start over with a fresh file next time (the handle may be what failed).
          const failed = this.handle;
          this.handle = undefined;
          await failed?.close().catch(() => undefined);
          this.wanted ??= next;
          throw err;
        }
        this.savedPosition = next.position;
      }
      return this.savedPosition as Position;
    } finally {
      this.running = undefined;
    }
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
