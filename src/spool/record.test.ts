import { describe, expect, it } from 'vitest';
import { FLAG_END, decodeRecord, encodeRecord, recordSize } from './record.js';
import { SpoolRecordError } from './errors.js';

const encode = (id: string, payload: string, flags = FLAG_END, at = 1_700_000_000_123) => {
  const msg = { id, data: Buffer.from(payload) };
  const buf = Buffer.alloc(recordSize(msg));
  const end = encodeRecord(buf, 0, msg, flags, at);
  return { buf, end };
};

describe('record framing', () => {
  it('round-trips id, payload, flags and time', () => {
    const { buf, end } = encode('évènement-1', '{"a":1}');
    expect(end).toBe(buf.length);
    const r = decodeRecord(buf, 0);
    expect(r).toMatchObject({ id: 'évènement-1', flags: FLAG_END, appendedAt: 1_700_000_000_123, end: buf.length });
    expect(Buffer.from(r?.data ?? []).toString()).toBe('{"a":1}');
  });

  it('decodes records laid end to end', () => {
    const a = encode('a', 'x', 0).buf;
    const b = encode('b', 'yy').buf;
    const both = Buffer.concat([a, b]);
    const first = decodeRecord(both, 0);
    expect(first?.id).toBe('a');
    expect(decodeRecord(both, first?.end ?? -1)?.id).toBe('b');
  });

  it('rejects a flipped bit (CRC)', () => {
    const { buf } = encode('id', 'payload');
    const last = buf.length - 1;
    buf.writeUInt8(buf.readUInt8(last) ^ 0x01, last);
    expect(decodeRecord(buf, 0)).toBeUndefined();
  });

  it('rejects every torn prefix', () => {
    const { buf } = encode('id', 'some payload');
    for (let n = 0; n < buf.length; n++) expect(decodeRecord(buf.subarray(0, n), 0)).toBeUndefined();
  });

  it('refuses an id the framing cannot hold', () => {
    expect(() => recordSize({ id: 'x'.repeat(70_000), data: new Uint8Array() })).toThrow(SpoolRecordError);
  });
});
