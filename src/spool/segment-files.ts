import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Segment files are `<20-digit sequence>.seg`, so a plain name sort is also the log order. */
const SEGMENT = /^(\d{20})\.seg$/;

export function segmentName(seq: number): string {
  return `${String(seq).padStart(20, '0')}.seg`;
}

export function segmentPath(dir: string, seq: number): string {
  return join(dir, segmentName(seq));
}

/** Sequence numbers of the segments in `dir`, ascending. */
export async function listSegments(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  const seqs: number[] = [];
  for (const name of names) {
    const m = SEGMENT.exec(name);
    if (m?.[1]) seqs.push(Number(m[1]));
  }
  return seqs.sort((a, b) => a - b);
}

/**
 * Makes created, renamed or deleted entries of `dir` durable: without it a new segment's data can be synced while
 * its name is lost on power failure (see fsync(2), "Calling fsync() does not necessarily ensure...").
 */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes all of `buf` at `position` (a write may take less than asked). */
export async function writeAll(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await handle.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * `length` bytes of a segment from `position`; a segment shorter than that is an error. Into `into` (its start)
 * when given, else a new buffer.
 */
export async function readAt(handle: FileHandle, position: number, length: number, into?: Buffer): Promise<Buffer> {
  const buf = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of segment at ${position + done}`);
    done += bytesRead;
  }
  return buf;
}
