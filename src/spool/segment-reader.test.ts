import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusMessage } from '../bus/bus.js';
import { encodedGroup } from '../../test/spool-harness.js';
import { segmentPath } from './segment-files.js';
import { SegmentReader } from './segment-reader.js';
import { pack } from '../bus/pack.js';

const msg = (id: string): BusMessage => ({ id, data: Buffer.from(`payload of ${id}`) });

/** One committed group, encoded as the writer does. */
const group = (ids: string[]): Buffer => encodedGroup(ids.map(msg), 1);

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

  it('ends batches where packs end: at group commits, never inside one', async () => {
    reader = new SegmentReader(dir);
    const a = group(['a1', 'a2', 'a3']);
    const b = group(['b1', 'b2']);
    reader.remember(1, 0, a);
    reader.remember(1, a.length, b);
    const end = a.length + b.length;
    // Room for 4: the whole first group, not a1-a3 plus b1 (b would be split by where this read happened to stop).
    const first = await reader.read({ seq: 1, offset: 0, end }, 4);
    expect(ids(first)).toEqual(['a1', 'a2', 'a3']);
    expect(first.messages.map((m) => m.packEnd === true)).toEqual([false, false, true]);
    expect(first.end).toEqual({ seq: 1, offset: a.length });
  });

  it('packs the same records the same way from memory, from disk, and whatever was committed when it read', async () => {
    const groups = [group(['a1', 'a2']), group(['b1']), group(['c1', 'c2', 'c3', 'c4', 'c5']), group(['d1'])];
    await writeFile(segmentPath(dir, 1), Buffer.concat(groups));
    const packsOf = (messages: BusMessage[]) => pack(messages).map((p) => p.id);
    const sizes = groups.map((g) => g.length);
    const ends = sizes.map((_, i) => sizes.slice(0, i + 1).reduce((x, y) => x + y, 0));
    const total = ends[ends.length - 1] as number;

    // Live: the forwarder reads as groups are committed one by one, three records at most per batch.
    reader = new SegmentReader(dir);
    const live: string[] = [];
    let offset = 0;
    for (let i = 0; i < groups.length; i++) {
      reader.remember(1, i === 0 ? 0 : (ends[i - 1] as number), groups[i] as Buffer);
      while (offset < (ends[i] as number)) {
        const batch = await reader.read({ seq: 1, offset, end: ends[i] as number }, 3);
        live.push(...packsOf(batch.messages));
        offset = batch.end.offset;
      }
    }
    await reader.close();

    // After a restart: everything is on disk and committed at once.
    reader = new SegmentReader(dir);
    const replayed: string[] = [];
    offset = 0;
    while (offset < total) {
      const batch = await reader.read({ seq: 1, offset, end: total }, 3);
      replayed.push(...packsOf(batch.messages));
      offset = batch.end.offset;
    }
    expect(live).toEqual(['a1+2', 'b1', 'c1+3', 'c4+2', 'd1']);
    expect(replayed).toEqual(live);
  });

  it('reads a record larger than its read size whole, after the packs before it', async () => {
    reader = new SegmentReader(dir);
    const small = group(['s1', 's2']);
    const big = { id: 'big', data: Buffer.alloc(1536 * 1024, 0x61) };
    const bigGroup = encodedGroup([big], 1);
    await writeFile(segmentPath(dir, 1), Buffer.concat([small, bigGroup]));
    const end = small.length + bigGroup.length;
    const first = await reader.read({ seq: 1, offset: 0, end }, 10);
    expect(ids(first)).toEqual(['s1', 's2']);
    const second = await reader.read({ seq: 1, offset: first.end.offset, end }, 10);
    expect(ids(second)).toEqual(['big']);
    expect(second.messages[0]?.data.byteLength).toBe(1536 * 1024);
    expect(second.end).toEqual({ seq: 1, offset: end });
  });
});

