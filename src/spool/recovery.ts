import { mkdir, open, unlink } from 'node:fs/promises';
import { readCheckpoint, type CheckpointRead, type Position } from './checkpoint.js';
import { LogIndex } from './log-index.js';
import { listSegments, segmentPath } from './segment-files.js';
import { scanSegment } from './segment-scan.js';
import { SpoolRecoveryError } from './errors.js';

export interface TornTail {
  readonly seq: number;
  readonly fileSize: number;
  readonly validEnd: number;
}

export interface Recovered {
  readonly index: LogIndex;
  /** Sequence number for the writer's new segment: always past every existing one. */
  readonly nextSeq: number;
  readonly segments: number;
  readonly checkpoint: CheckpointRead['status'];
  readonly tornTails: readonly TornTail[];
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
 * truncates torn tails and counts what is still to forward. The writer then starts a fresh segment, so bytes
 * appended from now on can never land at an offset the checkpoint already covers (a checkpoint can be ahead of a
 * segment whose unsynced tail the OS lost).
 */
export async function recover(dir: string): Promise<Recovered> {
  try {
    await mkdir(dir, { recursive: true });
    const read = await readCheckpoint(dir);
    const seqs = await listSegments(dir);
    let cp: Position = read.status === 'ok' ? read.position : { seq: seqs[0] ?? 1, offset: 0 };
    const chunks: Chunk[] = [];
    const tornTails: TornTail[] = [];
    const kept: Array<{ seq: number; size: number }> = [];

    for (const seq of seqs) {
      const path = segmentPath(dir, seq);
      if (seq < cp.seq) {
        // Forwarded, but the process stopped between saving the checkpoint and deleting the file.
        await unlink(path);
        continue;
      }
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
      if (scan.validEnd < scan.fileSize) {
        await truncateTo(path, scan.validEnd);
        tornTails.push({ seq, fileSize: scan.fileSize, validEnd: scan.validEnd });
      }
      kept.push({ seq, size: scan.validEnd });
    }

    const index = new LogIndex(cp);
    for (const s of kept) index.addSegment(s.seq, s.size, false);
    for (const c of chunks) index.committed(c.seq, c.end, c.records, c.bytes, c.at);
    const lastSeq = Math.max(read.status === 'ok' ? cp.seq : 0, seqs[seqs.length - 1] ?? 0);
    return { index, nextSeq: lastSeq + 1, segments: kept.length, checkpoint: read.status, tornTails };
  } catch (err) {
    throw new SpoolRecoveryError(`cannot recover the spool in ${dir}: ${(err as Error).message}`, { cause: err });
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
