import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/spool-harness.js';
import { FLAG_END, decodeRecord, encodeRecord, recordSize } from './record.js';
import { salvageTail } from './salvage.js';

/** Records r0..r{n-1}, calls of `perCall` records (the last of each call carries FLAG_END), end to end. */
function segment(n: number, perCall: number): { bytes: Buffer; starts: number[] } {
  const parts: Buffer[] = [];
  const starts: number[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const msg = { id: `r${i}`, data: Buffer.from(`{"n":${i}}`) };
    const buf = Buffer.alloc(recordSize(msg));
    encodeRecord(buf, 0, msg, (i + 1) % perCall === 0 ? FLAG_END : 0, Date.now());
    starts.push(at);
    at += buf.length;
    parts.push(buf);
  }
  starts.push(at);
  return { bytes: Buffer.concat(parts), starts };
}

function ids(frames: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < frames.length; ) {
    const r = decodeRecord(frames, at);
    if (!r) throw new Error(`no record at ${at}`);
    out.push(r.id);
    at = r.end;
  }
  return out;
}

describe('salvageTail', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  it('keeps every intact record after the damaged one and counts only that one as lost', async () => {
    const { bytes, starts } = segment(9, 3);
    bytes[starts[4]! + 12]! ^= 0x01; // r4, the middle of the second call
    const path = join(dir, 's.seg');
    await writeFile(path, bytes);
    // The scan's valid log ends with the first call (r0-r2); the salvage looks from there.
    const found = await salvageTail(path, starts[3]!, bytes.length);
    expect(ids(found!.frames)).toEqual(['r3', 'r5', 'r6', 'r7', 'r8']);
    expect(found!.records).toBe(5);
    expect(found!.lostBytes).toBe(starts[5]! - starts[4]!);
  });

  it('leaves out records before skipBefore, without counting them as lost', async () => {
    const { bytes, starts } = segment(9, 3);
    bytes[starts[4]! + 12]! ^= 0x01;
    const path = join(dir, 's.seg');
    await writeFile(path, bytes);
    const found = await salvageTail(path, starts[3]!, bytes.length, starts[7]!);
    expect(ids(found!.frames)).toEqual(['r7', 'r8']);
    expect(found!.lostBytes).toBe(starts[5]! - starts[4]!);
  });

  it('drops a call left unfinished at the very end, and returns nothing when nothing else is intact', async () => {
    const { bytes, starts } = segment(5, 5); // one call; r4 ends it
    bytes[starts[1]! + 12]! ^= 0x01;
    const path = join(dir, 's.seg');
    await writeFile(path, bytes.subarray(0, starts[4]! + 6)); // r4 torn
    expect(await salvageTail(path, 0, starts[4]! + 6)).toBeUndefined();
  });
});
