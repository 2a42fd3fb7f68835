import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusMessage } from '../bus/bus.js';
import { encodeRecord, recordSize } from './record.js';
import { segmentPath } from './segment-files.js';
import { SegmentReader } from './segment-reader.js';

const msg = (id: string): BusMessage => ({ id, data: Buffer.from(`payload of ${id}`) });

/** One committed group, encoded as the writer does. */
function group(ids: string[]): Buffer {
  const messages = ids.map(msg);
  const buf = Buffer.alloc(messages.reduce((n, m) => n + recordSize(m), 0));
  let at = 0;
  for (const m of messages) at = encodeRecord(buf, at, m, 0, 1);
  return buf;
}

const ids = (batch: { messages: BusMessage[] }) => batch.messages.map((m) => m.id);

describe('segment reader', () => {
  let dir: string;
  let reader: SegmentReader;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-reader-'));
  });
  afterEach(async () => {
    await reader.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves just-committed groups from memory, across groups, without touching the file', async () => {
    reader = new SegmentReader(dir);
    const a = group(['a1', 'a2']);
    const b = group(['b1']);
    reader.remember(1, 0, a);
    reader.remember(1, a.length, b);
    // No segment file exists: a read from disk would fail.
    const batch = await reader.read({ seq: 1, offset: 0, end: a.length + b.length }, 10);
    expect(ids(batch)).toEqual(['a1', 'a2', 'b1']);
    expect(batch.end).toEqual({ seq: 1, offset: a.length + b.length });
    expect(batch.bytes).toBe(a.length + b.length);
  });

  it('never reads past the committed end of the span', async () => {
    reader = new SegmentReader(dir);
    const a = group(['a1']);
    reader.remember(1, 0, a);
    reader.remember(1, a.length, group(['not-yet-counted']));
    const batch = await reader.read({ seq: 1, offset: 0, end: a.length }, 10);
    expect(ids(batch)).toEqual(['a1']);
  });

  it('continues from the file when a batch ends inside a group, and after a rewind', async () => {
    reader = new SegmentReader(dir);
    const a = group(['a1', 'a2', 'a3']);
    const b = group(['b1', 'b2']);
    await writeFile(segmentPath(dir, 1), Buffer.concat([a, b]));
    reader.remember(1, 0, a);
    reader.remember(1, a.length, b);
    const end = a.length + b.length;
    const first = await reader.read({ seq: 1, offset: 0, end }, 2);
    expect(ids(first)).toEqual(['a1', 'a2']);
    const rest = await reader.read({ seq: 1, offset: first.end.offset, end }, 10);
    expect(ids(rest)).toEqual(['a3', 'b1', 'b2']);
    // Remembered groups are gone once read past; a rewind (failed publish) reads the same records from disk.
    const again = await reader.read({ seq: 1, offset: 0, end }, 10);
    expect(ids(again)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
  });

  it('keeps at most its byte limit in memory; the rest comes from the file', async () => {
    const a = group(['a1']);
    const b = group(['b1']);
    reader = new SegmentReader(dir, a.length);
    await writeFile(segmentPath(dir, 1), Buffer.concat([a, b]));
    reader.remember(1, 0, a);
    reader.remember(1, a.length, b); // over the limit: not kept
    await rm(segmentPath(dir, 1));
    const first = await reader.read({ seq: 1, offset: 0, end: a.length + b.length }, 10);
    expect(ids(first)).toEqual(['a1']);
    await expect(reader.read({ seq: 1, offset: a.length, end: a.length + b.length }, 10)).rejects.toThrow(/ENOENT/);
  });
});
