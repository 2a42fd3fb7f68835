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

/** Reads batches of committed records for the forwarder, keeping the current segment open. */
export class SegmentReader {
  private handle: FileHandle | undefined;
  private seq = -1;

  constructor(private readonly dir: string) {}

  /** Up to `maxRecords` whole records from `span` (at least one: a record larger than the read size is read whole). */
  async read(span: Span, maxRecords: number): Promise<Batch> {
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
