import { open, type FileHandle } from 'node:fs/promises';
import type { BusMessage } from '../bus/bus.js';
import type { Position } from './checkpoint.js';
import type { Span } from './log-index.js';
import { decodeRecord, frameSize } from './record.js';
import { segmentPath } from './segment-files.js';

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
 * Reads batches of committed records for the forwarder, keeping the current segment open. Groups the writer has
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
    const batch = this.readRecent(span, maxRecords) ?? (await this.readFile(span, maxRecords));
    this.forgetBefore(batch.end);
    return batch;
  }

  /** The batch from remembered groups, when the span starts at one; records of a group are not CRC-checked again. */
  private readRecent(span: Span, maxRecords: number): Batch | undefined {
    const messages: BusMessage[] = [];
    let offset = span.offset;
    let chunk = this.recent.get(`${span.seq}:${offset}`);
    if (!chunk) return undefined;
    while (chunk && messages.length < maxRecords && offset < span.end) {
      let at = 0;
      while (at < chunk.buf.length && messages.length < maxRecords) {
        const record = decodeRecord(chunk.buf, at, false);
        if (!record) throw new Error(`segment ${span.seq}: remembered group at ${chunk.offset} does not decode`);
        messages.push({ id: record.id, data: record.data });
        at = record.end;
      }
      offset = chunk.offset + at;
      if (at < chunk.buf.length) break; // batch full in the middle of a group: the rest is read from disk later
      chunk = this.recent.get(`${span.seq}:${offset}`);
    }
    return { messages, end: { seq: span.seq, offset }, bytes: offset - span.offset };
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
    let buf = await readAt(handle, span.offset, Math.min(span.end - span.offset, READ_BYTES));
    const messages: BusMessage[] = [];
    let at = 0;
    while (messages.length < maxRecords) {
      const record = decodeRecord(buf, at);
      if (!record) {
        const frame = frameSize(buf, at);
        const cut = frame !== undefined && frame > buf.length - at && span.offset + at + frame <= span.end;
        if (messages.length === 0 && cut) {
          buf = await readAt(handle, span.offset, frame);
          continue;
        }
        if (messages.length === 0 || buf.length - at >= (frame ?? Infinity)) {
          // Committed bytes that do not decode: the disk changed them. Never skip; the forwarder retries and alerts.
          throw new Error(`segment ${span.seq}: no valid record at offset ${span.offset + at}`);
        }
        break;
      }
      messages.push({ id: record.id, data: record.data });
      at = record.end;
      if (at >= buf.length) break;
    }
    return { messages, end: { seq: span.seq, offset: span.offset + at }, bytes: at };
  }

  async close(): Promise<void> {
    this.recent.clear();
    this.recentBytes = 0;
    const handle = this.handle;
    this.handle = undefined;
    this.seq = -1;
    await handle?.close().catch(() => undefined);
  }

  private async open(seq: number): Promise<FileHandle> {
    if (this.handle && this.seq === seq) return this.handle;
    await this.close();
    this.handle = await open(segmentPath(this.dir, seq), 'r');
    this.seq = seq;
    return this.handle;
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of segment at ${position + done}`);
    done += bytesRead;
  }
  return buf;
}
