import { crc32 } from 'node:zlib';
import type { BusMessage } from '../bus/bus.js';
import { SpoolRecordError } from './errors.js';

/**
 * On-disk framing of one record (little endian):
 *
 *   u32 bodyLength | u32 crc32(body) | body
 *   body = u8 flags | u48 appendedAt (epoch ms) | u16 idLength | id (UTF-8) | payload
 *
 * The CRC lets recovery tell a torn tail (kill -9, power loss) from a record. `FLAG_END` marks the last record of
 * one `append` call: recovery keeps only whole calls, so the records of a call are all in the log or none are.
 * `FLAG_GROUP_END` marks the last record of a group commit (one write): the forwarder packs records into bus
 * messages up to such a mark, so whenever it reads the same records it packs them the same way.
 */
export const HEADER_BYTES = 8;
const BODY_FIXED = 9;
export const RECORD_OVERHEAD = HEADER_BYTES + BODY_FIXED;
export const FLAG_END = 1;
export const FLAG_GROUP_END = 2;
const MAX_ID_BYTES = 0xffff;

export interface DecodedRecord extends BusMessage {
  readonly flags: number;
  readonly appendedAt: number;
  /** Offset just past this record, relative to the decoded buffer. */
  readonly end: number;
}

/** Encoded size of a record; throws SpoolRecordError for an id the framing cannot hold. */
export function recordSize(message: BusMessage): number {
  const idBytes = Buffer.byteLength(message.id, 'utf8');
  if (idBytes > MAX_ID_BYTES) throw new SpoolRecordError(`message id is ${idBytes} bytes; the most is ${MAX_ID_BYTES}`);
  return RECORD_OVERHEAD + idBytes + message.data.byteLength;
}

/** Writes one record at `offset` of `buf` (which must have room) and returns the offset past it. */
export function encodeRecord(buf: Buffer, offset: number, message: BusMessage, flags: number, appendedAt: number): number {
  const body = offset + HEADER_BYTES;
  buf.writeUInt8(flags, body);
  buf.writeUIntLE(appendedAt, body + 1, 6);
  const idBytes = buf.write(message.id, body + BODY_FIXED, 'utf8');
  buf.writeUInt16LE(idBytes, body + 7);
  const payload = body + BODY_FIXED + idBytes;
  buf.set(message.data, payload);
  const end = payload + message.data.byteLength;
  buf.writeUInt32LE(end - body, offset);
  buf.writeUInt32LE(crc32(buf.subarray(body, end)), offset + 4);
  return end;
}

/**
 * Decodes the record at `offset`, or returns undefined when the bytes there are not a whole, intact record
 * (short, bad length or CRC mismatch). `id` and `data` are views into `buf`, not copies.
 */
export function decodeRecord(buf: Buffer, offset: number, verify = true): DecodedRecord | undefined {
  if (buf.length - offset < HEADER_BYTES) return undefined;
  const length = buf.readUInt32LE(offset);
  const body = offset + HEADER_BYTES;
  const end = body + length;
  if (length < BODY_FIXED || end > buf.length) return undefined;
  if (verify && crc32(buf.subarray(body, end)) !== buf.readUInt32LE(offset + 4)) return undefined;
  const idBytes = buf.readUInt16LE(body + 7);
  const payload = body + BODY_FIXED + idBytes;
  if (payload > end) return undefined;
  return {
    flags: buf.readUInt8(body),
    appendedAt: buf.readUIntLE(body + 1, 6),
    id: buf.toString('utf8', body + BODY_FIXED, payload),
    data: buf.subarray(payload, end),
    end,
  };
}

/** Full size of the record starting at `offset` per its header, or undefined if the header is not all there. */
export function frameSize(buf: Buffer, offset: number): number | undefined {
  if (buf.length - offset < HEADER_BYTES) return undefined;
  return HEADER_BYTES + buf.readUInt32LE(offset);
}
