import { open, type FileHandle } from 'node:fs/promises';
import type { BusMessage } from '../bus/bus.js';
import type { Position } from './checkpoint.js';
import type { Span } from './log-index.js';
import { FLAG_GROUP_END, decodeRecord, frameSize, type DecodedRecord } from './record.js';
import { PACK_MAX_BYTES, PACK_MAX_MESSAGES, Packer } from '../bus/pack.js';
import { readAt, segmentPath } from './segment-files.js';

export interface Batch {
  readonly messages: BusMessage[];
  /** Position just past the last message. */
  readonly end: Position;
  readonly bytes: number;
}

/** Bytes read per batch: one pread serves many records, straight from the page cache in the common case. */
const READ_BYTES = 1024 * 1024;

/** Bytes of just-committed groups kept in memory for the forwarder (beyond it, groups are read back from disk). */
export const RECENT_BYTES = 8 * 1024 * 1024;

interface Chunk {
  readonly seq: number;
  readonly offset: number;
  readonly buf: Buffer;
}

/**
 * Reads batches of committed records for the forwarder, keeping the current segment open (until it is deleted). Groups the writer has
 * just committed are handed over in memory (`remember`), so a forwarder that keeps up never reads back what was
 * written a moment ago; after a rewind (a failed publish), a restart or a backlog larger than RECENT_BYTES, it
 * reads from the segment files, which are the truth either way.
 */
export class SegmentReader {
  private handle: FileHandle | undefined;
  private seq = -1;
  private readonly recent = new Map<string, Chunk>();
  private recentBytes = 0;

  constructor(
    private readonly dir: string,
    private readonly recentLimit = RECENT_BYTES,
  ) {}

  /** A group the writer committed at (seq, offset): whole records, bytes identical to the file's. */
  remember(seq: number, offset: number, buf: Buffer): void {
    if (this.recentBytes + buf.length > this.recentLimit) return;
    this.recent.set(`${seq}:${offset}`, { seq, offset, buf });
    this.recentBytes += buf.length;
  }

  /** Up to `maxRecords` whole records from `span` (at least one: a record larger than the read size is read whole). */
  async read(span: Span, maxRecords: number): Promise<Batch> {
    const recent = this.readRecent(span, maxRecords);
    const batch = recent && recent.messages.length > 0 ? recent : await this.readFile(span, maxRecords);
    this.forgetBefore(batch.end);
    return batch;
  }

  /** The batch from remembered groups, when the span starts at one; records of a group are not CRC-checked again. */
  private readRecent(span: Span, maxRecords: number): Batch | undefined {
    let chunk = this.recent.get(`${span.seq}:${span.offset}`);
    if (!chunk) return undefined;
    const batch = new BatchBuilder(maxRecords, span.offset);
    let offset = span.offset;
    let full = false;
    while (chunk && !full && offset < span.end) {
      let at = 0;
      while (at < chunk.buf.length) {
        const record = decodeRecord(chunk.buf, at, false);
        if (!record) throw new Error(`segment ${span.seq}: remembered group at ${chunk.offset} does not decode`);
        if (!batch.add(record, chunk.offset + at, chunk.offset + record.end)) {
          full = true;
          break;
        }
        at = record.end;
      }
      offset = chunk.offset + at;
      if (at < chunk.buf.length) break; // batch full in the middle of a group: the rest is read from disk later
      chunk = this.recent.get(`${span.seq}:${offset}`);
    }
    // A remembered group not followed by the next one in memory (over the byte limit) ends a batch like a full one.
    return batch.finish(span.seq, offset >= span.end);
  }

  /** Drops remembered groups the forwarder has read past (in commit order, so it stops at the first one ahead). */
  private forgetBefore(end: Position): void {
    for (const [key, chunk] of this.recent) {
      if (chunk.seq > end.seq || (chunk.seq === end.seq && chunk.offset + chunk.buf.length > end.offset)) return;
      this.recent.delete(key);
      this.recentBytes -= chunk.buf.length;
    }
  }

  private async readFile(span: Span, maxRecords: number): Promise<Batch> {
    const handle = await this.open(span.seq);
    let length = Math.min(span.end - span.offset, READ_BYTES);
    for (;;) {
      const buf = await readAt(handle, span.offset, length);
      const batch = new BatchBuilder(maxRecords, span.offset);
      let at = 0;
      let short = false;
      while (at < buf.length) {
        const record = decodeRecord(buf, at);
        if (!record) {
          const frame = frameSize(buf, at);
          const more = span.offset + buf.length < span.end;
          // Cut by the end of the buffer (more committed bytes follow), or bytes that do not decode: the disk changed them.
          if (more && (frame === undefined || (frame > buf.length - at && span.offset + at + frame <= span.end))) {
            short = true;
            break;
          }
          throw new Error(`segment ${span.seq}: no valid record at offset ${span.offset + at}`);
        }
        if (!batch.add(record, span.offset + at, span.offset + record.end)) break;
        at = record.end;
      }
      const result = batch.finish(span.seq, span.offset + at >= span.end);
      if (result.messages.length > 0 || !short) return result;
      // Not one whole pack in the buffer (a large record at its end): read more.
      length = Math.min(span.end - span.offset, length * 2);
    }
  }

  async close(): Promise<void> {
    this.recent.clear();
    this.recentBytes = 0;
    await this.closeFile();
  }

  private async closeFile(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.seq = -1;
    await handle?.close().catch(() => undefined);
  }

  /**
   * Lets go of segment `seq` if it is the one held open, before the forwarder deletes it: an open descriptor keeps a
   * deleted file's blocks allocated, and the reader may hold one for as long as it serves new groups from memory and
   * opens no other file. On a small disk that kept up to `segmentBytes` in use after an outage, and the spool full.
   * No read can be in progress on it: the forwarder deletes only segments behind its checkpoint, and reads from it on.
   */
  async release(seq: number): Promise<void> {
    if (this.seq === seq) await this.closeFile();
  }

  private async open(seq: number): Promise<FileHandle> {
    if (this.handle && this.seq === seq) return this.handle;
    await this.close();
    this.handle = await open(segmentPath(this.dir, seq), 'r');
    this.seq = seq;
    return this.handle;
  }
}

type Message = { -readonly [K in keyof BusMessage]: BusMessage[K] };

/**
 * Gathers records into a batch that ends where a pack ends (see Packer): a batch starts where the previous one
 * ended, so packs always start at a pack boundary and the same records are packed the same way on every read.
 */
class BatchBuilder {
  readonly messages: Message[] = [];
  private readonly packer: Packer;
  private boundaryCount = 0;
  private boundaryOffset: number;
  private lastEnd: number;

  constructor(
    private readonly maxRecords: number,
    private readonly startOffset: number,
  ) {
    // A pack never holds more than a batch, so a batch always holds at least one whole pack.
    this.packer = new Packer(Math.min(maxRecords, PACK_MAX_MESSAGES), PACK_MAX_BYTES);
    this.boundaryOffset = startOffset;
    this.lastEnd = startOffset;
  }

  /** Adds the record at [start, end) of the segment; false (and not added) when the batch is full. */
  add(record: DecodedRecord, start: number, end: number): boolean {
    const size = record.data.byteLength;
    if (this.messages.length > this.boundaryCount && this.packer.startsNew(size)) this.close(start);
    if (this.messages.length >= this.maxRecords) return false;
    this.messages.push({ id: record.id, data: record.data });
    this.lastEnd = end;
    if (this.packer.add(size, (record.flags & FLAG_GROUP_END) !== 0)) this.close(end);
    return true;
  }

  /** The batch up to the last pack boundary; the end of the span (a group commit's or a segment's end) is one. */
  finish(seq: number, atSpanEnd: boolean): Batch {
    if (atSpanEnd && this.messages.length > this.boundaryCount) this.close(this.lastEnd);
    this.messages.length = this.boundaryCount;
    return { messages: this.messages, end: { seq, offset: this.boundaryOffset }, bytes: this.boundaryOffset - this.startOffset };
  }

  private close(end: number): void {
    const last = this.messages[this.messages.length - 1];
    if (last) last.packEnd = true;
    this.boundaryCount = this.messages.length;
    this.boundaryOffset = end;
    this.packer.reset();
  }
}
