import { mkdir, open, unlink, writeFile } from 'node:fs/promises';
import { readCheckpoint, type CheckpointRead, type Position } from './checkpoint.js';
import { LogIndex } from './log-index.js';
import { listSegments, readAt, segmentPath, syncDir } from './segment-files.js';
import { scanSegment } from './segment-scan.js';
import { salvageTail } from './salvage.js';
import { SpoolRecoveryError } from './errors.js';

export interface TornTail {
  readonly seq: number;
  readonly fileSize: number;
  readonly validEnd: number;
  /** Just past the tail's last byte that is not zero: what was dropped is [validEnd, dataEnd). */
  readonly dataEnd: number;
}

/** Intact records found past a corrupt one in segment `seq`, copied into segment `into`. */
export interface Salvaged {
  readonly seq: number;
  readonly into: number;
  readonly records: number;
  readonly lostBytes: number;
}

export interface Recovered {
  readonly index: LogIndex;
  /** Sequence number for the writer's new segment: always past every existing one. */
  readonly nextSeq: number;
  readonly segments: number;
  readonly checkpoint: CheckpointRead['status'];
  /** The bus sequence saved with the checkpoint (checkpoint.ts), when there is one. */
  readonly busFloor?: number;
  readonly tornTails: readonly TornTail[];
  readonly salvaged: readonly Salvaged[];
}

interface Chunk {
  seq: number;
  end: number;
  at: number;
  records: number;
  bytes: number;
}

/**
 * Rebuilds the log state from `dir`: reads the checkpoint, deletes segments it has passed, scans the rest,
 * truncates torn tails and counts what is still to forward. Intact records past a corrupt one (see salvageTail) are
 * first copied into a new segment after the others, synced, and only then cut from theirs; a crash in between
 * copies them again at the next start, and the bus and the sinks drop the repeat by id. The writer then starts a
 * fresh segment, so bytes appended from now on can never land at an offset the checkpoint already covers (a
 * checkpoint can be ahead of a segment whose unsynced tail the OS lost).
 */
export async function recover(dir: string): Promise<Recovered> {
  try {
    await mkdir(dir, { recursive: true });
    const read = await readCheckpoint(dir);
    const seqs = await listSegments(dir);
    let cp: Position = read.status === 'ok' ? read.position : { seq: seqs[0] ?? 1, offset: 0 };
    const chunks: Chunk[] = [];
    const tornTails: TornTail[] = [];
    const salvaged: Salvaged[] = [];
    const kept: Array<{ seq: number; size: number }> = [];
    let lastSeq = Math.max(read.status === 'ok' ? cp.seq : 0, seqs[seqs.length - 1] ?? 0);
    // Segments made for salvaged records join the end of this list, and are scanned like the rest.
    const order = [...seqs];

    for (const seq of order) {
      const path = segmentPath(dir, seq);
      if (seq < cp.seq) {
        // Forwarded, but the process stopped between saving the checkpoint and deleting the file.
        await unlink(path);
        continue;
      }
      const forwardedTo = seq === cp.seq ? cp.offset : 0;
      let aligned = 0;
      const scan = await scanSegment(path, (r) => {
        if (seq === cp.seq && r.end <= cp.offset) {
          aligned = r.end;
          return;
        }
        const last = chunks[chunks.length - 1];
        const bytes = r.end - r.start;
        if (last && last.seq === seq && last.at === r.appendedAt) {
          last.end = r.end;
          last.records++;
          last.bytes += bytes;
        } else chunks.push({ seq, end: r.end, at: r.appendedAt, records: 1, bytes });
      });
      // A checkpoint inside a record or past the valid end (a lost tail) snaps back to a record boundary.
      if (seq === cp.seq) cp = { seq, offset: aligned };
      // Zeros alone past the valid end are a prepared segment's unused space (spool.preallocate): cut, not torn.
      const dataEnd = scan.validEnd < scan.fileSize ? await endOfData(path, scan.validEnd, scan.fileSize) : scan.validEnd;
      if (dataEnd > scan.validEnd) {
        const found = await salvageTail(path, scan.validEnd, scan.fileSize, forwardedTo, dataEnd);
        if (found) {
          const into = ++lastSeq;
          await writeFile(segmentPath(dir, into), found.frames, { flush: true });
          await syncDir(dir);
          order.push(into);
          salvaged.push({ seq, into, records: found.records, lostBytes: found.lostBytes });
        }
        tornTails.push({ seq, fileSize: scan.fileSize, validEnd: scan.validEnd, dataEnd });
      }
      if (scan.validEnd < scan.fileSize) await truncateTo(path, scan.validEnd);
      kept.push({ seq, size: scan.validEnd });
    }

    const index = new LogIndex(cp);
    for (const s of kept) index.addSegment(s.seq, s.size, false);
    for (const c of chunks) index.committed(c.seq, c.end, c.records, c.bytes, c.at);
    const busFloor = read.status === 'ok' ? read.busFloor : undefined;
    return {
      index,
      nextSeq: lastSeq + 1,
      segments: kept.length,
      checkpoint: read.status,
      ...(busFloor === undefined ? {} : { busFloor }),
      tornTails,
      salvaged,
    };
  } catch (err) {
    throw new SpoolRecoveryError(`cannot recover the spool in ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Read size when looking for the end of a tail's data: bounded memory whatever the segment size. */
const TAIL_CHUNK = 1024 * 1024;

/** Just past the last byte of [from, to) of the file that is not zero; `from` when they all are. */
export async function endOfData(path: string, from: number, to: number): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(TAIL_CHUNK, to - from));
    for (let end = to; end > from; ) {
      const start = Math.max(from, end - buf.length);
      const chunk = await readAt(handle, start, end - start, buf);
      for (let i = chunk.length - 1; i >= 0; i--) if (chunk[i] !== 0) return start + i + 1;
      end = start;
    }
    return from;
  } finally {
    await handle.close();
  }
}

async function truncateTo(path: string, size: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(size);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
