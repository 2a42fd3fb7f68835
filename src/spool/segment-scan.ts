import { open } from 'node:fs/promises';
import { FLAG_END, HEADER_BYTES, decodeRecord, frameSize } from './record.js';

export interface ScannedRecord {
  readonly start: number;
  readonly end: number;
  readonly appendedAt: number;
}

export interface SegmentScan {
  readonly fileSize: number;
  /** End of the last whole `append` call; bytes past it are a torn tail. */
  readonly validEnd: number;
}

/** Read size for the scan: bounded memory whatever the segment size. */
const CHUNK = 4 * 1024 * 1024;

/**
 * Walks a segment from the start, verifying every CRC, and reports each record of each whole `append` call
 * (those ending with a FLAG_END record). Stops at the first torn or corrupt record.
 */
export async function scanSegment(path: string, onRecord: (r: ScannedRecord) => void): Promise<SegmentScan> {
  const handle = await open(path, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    let validEnd = 0;
    let call: ScannedRecord[] = [];
    let base = 0; // file offset of buf[0]
    let buf = Buffer.alloc(0);
    let at = 0; // offset in buf of the next record
    for (;;) {
      const record = decodeRecord(buf, at);
      if (record) {
        call.push({ start: base + at, end: base + record.end, appendedAt: record.appendedAt });
        at = record.end;
        if (record.flags & FLAG_END) {
          for (const r of call) onRecord(r);
          call = [];
          validEnd = base + at;
        }
        continue;
      }
      // A whole frame that fails to decode is corrupt: the valid log ends before it.
      const frame = frameSize(buf, at);
      if (frame !== undefined && buf.length - at >= frame) break;
      // Otherwise the record is cut by the buffer: read more unless the file has no more to give.
      const fileOffset = base + buf.length;
      if (fileOffset >= fileSize) break;
      const need = Math.max(CHUNK, (frame ?? HEADER_BYTES) - (buf.length - at));
      const more = Buffer.allocUnsafe(Math.min(need, fileSize - fileOffset));
      const { bytesRead } = await handle.read(more, 0, more.length, fileOffset);
      if (bytesRead === 0) break;
      buf = Buffer.concat([buf.subarray(at), more.subarray(0, bytesRead)]);
      base += at;
      at = 0;
    }
    return { fileSize, validEnd };
  } finally {
    await handle.close();
  }
}
