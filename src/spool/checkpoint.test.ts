import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, CheckpointWriter, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { tempDir } from '../../test/spool-harness.js';

describe('checkpoint file', () => {
  let dir = '';
  let remove = async () => undefined as void;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  it('is missing, then written and read back, leaving no temp file', async () => {
    expect(await readCheckpoint(dir)).toEqual({ status: 'missing' });
    await writeCheckpoint(dir, { seq: 3, offset: 4096 });
    expect(await readCheckpoint(dir)).toEqual({ status: 'ok', position: { seq: 3, offset: 4096 } });
    expect(await readdir(dir)).toEqual([CHECKPOINT_FILE]);
  });

  it('reports a torn or foreign file as corrupt (replay from the oldest segment)', async () => {
    await writeFile(join(dir, CHECKPOINT_FILE), '{"segment":1,"off');
    expect((await readCheckpoint(dir)).status).toBe('corrupt');
    await writeFile(join(dir, CHECKPOINT_FILE), '{"segment":-1,"offset":0}');
    expect((await readCheckpoint(dir)).status).toBe('corrupt');
  });

  it('coalesces saves requested during a write into the latest position', async () => {
    const writer = new CheckpointWriter(dir);
    const saves = [1, 2, 3, 4].map((offset) => writer.save({ seq: 1, offset }));
    const results = await Promise.all(saves);
    expect(results.at(-1)).toEqual({ seq: 1, offset: 4 });
    expect(writer.saved).toEqual({ seq: 1, offset: 4 });
    expect(await readCheckpoint(dir)).toEqual({ status: 'ok', position: { seq: 1, offset: 4 } });
  });

  it('overwrites a file of its own size in place from the first save: moving the checkpoint needs no free space', async () => {
    await writeCheckpoint(dir, { seq: 4, offset: 10 });
    const before = await stat(join(dir, CHECKPOINT_FILE));
    const writer = new CheckpointWriter(dir);
    await writer.save({ seq: 5, offset: 20 });
    await writer.close();
    const after = await stat(join(dir, CHECKPOINT_FILE));
    // The same file (no temp file renamed over it), the same size: no new block was needed.
    expect([after.ino, after.size]).toEqual([before.ino, before.size]);
    expect(await readCheckpoint(dir)).toEqual({ status: 'ok', position: { seq: 5, offset: 20 } });
    expect(await readdir(dir)).toEqual([CHECKPOINT_FILE]);
  });

  it('keeps the bus floor saved with the position, in place, and reads a file without one', async () => {
    const writer = new CheckpointWriter(dir);
    await writer.save({ seq: 1, offset: 5 }, 123);
    const before = await stat(join(dir, CHECKPOINT_FILE));
    expect(await readCheckpoint(dir)).toEqual({ status: 'ok', position: { seq: 1, offset: 5 }, busFloor: 123 });
    await writer.save({ seq: 99_999_999_999, offset: 99_999_999_999 }, Number.MAX_SAFE_INTEGER);
    expect(await readCheckpoint(dir)).toEqual({
      status: 'ok',
      position: { seq: 99_999_999_999, offset: 99_999_999_999 },
      busFloor: Number.MAX_SAFE_INTEGER,
    });
    await writer.save({ seq: 2, offset: 0 });
    expect(await readCheckpoint(dir)).toEqual({ status: 'ok', position: { seq: 2, offset: 0 } });
    await writer.close();
    const after = await stat(join(dir, CHECKPOINT_FILE));
    expect([after.ino, after.size]).toEqual([before.ino, before.size]);
  });

  it('replaces an older file first, then overwrites it in place; a reader always sees a whole position', async () => {
    // What an older version left: shorter, unpadded JSON (or padded to 64 bytes, without the bus floor).
    await writeFile(join(dir, CHECKPOINT_FILE), '{"segment":12,"offset":123456789}');
    const writer = new CheckpointWriter(dir);
    await writer.save({ seq: 1, offset: 5 });
    expect(await readCheckpoint(dir)).toEqual({ status: 'ok', position: { seq: 1, offset: 5 } });
    for (const offset of [99_999_999_999, 7]) {
      await writer.save({ seq: 2, offset });
      expect(await readCheckpoint(dir)).toEqual({ status: 'ok', position: { seq: 2, offset } });
    }
    await writer.close();
    expect(await readdir(dir)).toEqual([CHECKPOINT_FILE]);
  });
});
