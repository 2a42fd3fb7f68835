import { open } from 'node:fs/promises';
import { FLAG_END, FLAG_GROUP_END, HEADER_BYTES, RECORD_OVERHEAD, decodeRecord } from './record.js';
import { readAt } from './segment-files.js';

/** The intact records found past a corrupt one in the middle of a segment. */
export interface Salvage {
  /** Their frames, byte for byte as written; the last one ends an `append` call. */
  readonly frames: Buffer;
  readonly records: number;
  /** Bytes of the tail that could not be kept: the corrupt part, and a torn call at the very end. */
  readonly lostBytes: number;
}

/** Receive times a record can carry: after this and before a day past now. Anything else is not a record start. */
const EARLIEST_APPEND = Date.UTC(2020, 0, 1);
const DAY_MS = 86_400_000;

/**
 * Looks past a corrupt record for intact ones. A segment is written front to back, one group after the previous
 * is on disk, so an invalid record followed by valid ones is not a torn write: a block the disk corrupted, or, with
 * fsync "interval", a page the OS never wrote before a crash (zeros) while later pages reached the disk.
 *
 * The tail from `from` (the end of the last whole call) to the end of the file is read (at most about one segment)
 * and searched for runs of records that decode one after another, each starting where a whole record decodes and
 * its CRC matches. Every record of every run is kept, also those of a call the damage cut in two (that call was
 * whole when it was written, and answered), up to the last record that ends a call: only at the very end can a
 * call be torn, and the records after that one are dropped, whichever run they are in. A candidate must have a
 * plausible length, flags and receive time before its CRC is computed, so the search costs little and a false
 * match needs a 32-bit CRC to agree by chance. Records that start before `skipBefore` (already forwarded, per the
 * checkpoint) are left out.
 */
export async function salvageTail(
  path: string,
  from: number,
  fileSize: number,
  skipBefore = 0,
  dataEnd = fileSize,
): Promise<Salvage | undefined> {
  const handle = await open(path, 'r');
  let tail: Buffer;
  try {
    tail = await readAt(handle, from, fileSize - from);
  } finally {
    await handle.close();
  }
  const latest = Date.now() + DAY_MS;
  const runs: Run[] = [];
  let at = 0;
  // A record holds bytes that are not zero, so none starts in the zeros past `dataEnd`.
  const lastStart = Math.min(tail.length - RECORD_OVERHEAD, dataEnd - from - 1);
  while (at <= lastStart) {
    const run = plausible(tail, at, latest) ? walk(tail, at) : undefined;
    if (!run) {
      at++;
      continue;
    }
    runs.push(run);
    at = run.brokeAt + 1;
  }
  // The log ends with the last record that ends a call; what follows it (in that run or later ones) is a torn call.
  let end = runs.length - 1;
  while (end >= 0 && runs[end]!.whole === 0) end--;
  if (end < 0) return undefined;
  runs.length = end + 1;
  runs[end]!.records.length = runs[end]!.whole;
  const kept: Buffer[] = [];
  let records = 0;
  let keptBytes = 0;
  let intactBytes = 0;
  for (const run of runs) {
    for (const r of run.records) {
      intactBytes += r.end - r.start;
      if (from + r.start < skipBefore) continue;
      kept.push(tail.subarray(r.start, r.end));
      keptBytes += r.end - r.start;
      records++;
    }
  }
  if (records === 0) return undefined;
  // Zeros past the last data (a prepared segment's unused space) were never anything: not counted as lost.
  return { frames: Buffer.concat(kept, keptBytes), records, lostBytes: Math.max(0, dataEnd - from - intactBytes) };
}

/** A cheap test of the fixed fields at `at` before any CRC: length, flags and receive time. */
function plausible(buf: Buffer, at: number, latest: number): boolean {
  const length = buf.readUInt32LE(at);
  if (length < RECORD_OVERHEAD - HEADER_BYTES || at + HEADER_BYTES + length > buf.length) return false;
  const body = at + HEADER_BYTES;
  if ((buf.readUInt8(body) & ~(FLAG_END | FLAG_GROUP_END)) !== 0) return false;
  const appendedAt = buf.readUIntLE(body + 1, 6);
  return appendedAt >= EARLIEST_APPEND && appendedAt <= latest;
}

interface Run {
  readonly records: { start: number; end: number }[];
  /** How many of the records end with a call end (the rest would be a torn call, were this run the last). */
  readonly whole: number;
  /** Where the first record that does not decode starts (the buffer's length if none). */
  readonly brokeAt: number;
}

/** The records that decode one after another from `at`; undefined if the first does not. */
function walk(buf: Buffer, at: number): Run | undefined {
  const records: { start: number; end: number }[] = [];
  let whole = 0;
  let next = at;
  for (;;) {
    const record = decodeRecord(buf, next);
    if (!record) break;
    records.push({ start: next, end: record.end });
    if (record.flags & FLAG_END) whole = records.length;
    next = record.end;
  }
  return records.length === 0 ? undefined : { records, whole, brokeAt: next };
}
