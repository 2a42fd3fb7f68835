import { cp, mkdir, readdir, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait.js';
import { encodedGroup, ids, message, metricCount, RecordingBus, spoolConfig, startSpool, useSpools } from '../../test/spool-harness.js';
import { FLAG_END, encodeRecord, recordSize } from './record.js';
import { recover } from './recovery.js';
import { segmentPath } from './segment-files.js';
import { FREE_SEGMENTS_NEEDED, STANDBY_NAME } from './standby.js';

const SEGMENT = 64 * 1024;
const patience = { timeoutMs: 20_000 };

const sizeOf = async (path: string) => (await stat(path)).size;
const exists = (path: string) => stat(path).then(() => true, () => false);

/** The bytes `ids` take in a segment, each appended as a call of its own. */
const bytesOf = (sent: readonly string[]) => sent.reduce((sum, id) => sum + recordSize(message(id)), 0);

describe('spool preallocation (spool.preallocate, fsync "always")', () => {
  const spools = useSpools();
  const { open } = spools;

  it('writes group commits into a zero-filled segment of fixed size, with the next one ready, and cuts it to its data at close', async () => {
    const bus = new RecordingBus();
    bus.hold();
    const { spool } = await open(bus, { segmentBytes: SEGMENT });
    const first = segmentPath(spools.dir, 1);
    expect(await sizeOf(first)).toBe(SEGMENT);
    const sent = ids('pa', 40);
    for (const id of sent) await spool.append([message(id)]);
    // Forty synced writes, and the file's size never moved: none of them had to update it.
    expect(await sizeOf(first)).toBe(SEGMENT);
    await waitFor('the next segment prepared', () => exists(join(spools.dir, STANDBY_NAME)), patience);
    expect(await sizeOf(join(spools.dir, STANDBY_NAME))).toBe(SEGMENT);
    await spool.close(0);
    expect(await sizeOf(first)).toBe(bytesOf(sent));
    expect(await exists(join(spools.dir, STANDBY_NAME))).toBe(false);
  });

  it('moves on to the prepared segment when one is full, cutting the sealed one to its data', async () => {
    const bus = new RecordingBus();
    bus.hold();
    const { spool } = await open(bus, { segmentBytes: SEGMENT });
    const payload = 'x'.repeat(4000);
    const big = (id: string) => ({ id, data: Buffer.from(payload) });
    const sent = ids('full', 40, 10); // ~160 KB: at least two rotations; ids of one length, records of one size
    for (const id of sent) {
      await spool.append([big(id)]);
      // Each rotation finds its segment ready only once the last one's preparation is done (it runs in the background).
      await waitFor('the next segment prepared', () => exists(join(spools.dir, STANDBY_NAME)), patience);
    }
    const segments = (await readdir(spools.dir)).filter((n) => n.endsWith('.seg')).sort();
    expect(segments.length).toBeGreaterThanOrEqual(3);
    const sizes = await Promise.all(segments.map((n) => sizeOf(join(spools.dir, n))));
    // Sealed segments hold their records and nothing else; the one being written is still whole.
    const record = recordSize(big('full-10'));
    for (const size of sizes.slice(0, -1)) {
      expect(size % record).toBe(0);
      expect(size).toBeLessThanOrEqual(SEGMENT);
    }
    expect(sizes.at(-1)).toBe(SEGMENT);
    expect(spool.stats().pendingRecords).toBe(sent.length);
  });

  it('after a crash, cuts the unused zeros without calling them a torn tail and replays every record', async () => {
    const bus = new RecordingBus();
    bus.hold();
    const { spool } = await open(bus, { segmentBytes: SEGMENT });
    const sent = ids('crash', 30);
    for (const id of sent) await spool.append([message(id)]);
    // The files as a kill -9 leaves them: the open segment full of zeros past its data, the standby half made or not.
    const copy = join(spools.dir, 'after-crash');
    await mkdir(copy);
    for (const name of await readdir(spools.dir)) if (name !== 'after-crash') await cp(join(spools.dir, name), join(copy, name));
    expect(await sizeOf(segmentPath(copy, 1))).toBe(SEGMENT);

    const replay = new RecordingBus();
    const { spool: again, telemetry } = await startSpool(spoolConfig(copy, { segmentBytes: SEGMENT }), replay);
    try {
      expect(again.stats().pendingRecords).toBe(sent.length);
      expect(await metricCount(telemetry, 'gatehouse_spool_torn_tail_total')).toBe(0);
      expect(await sizeOf(segmentPath(copy, 1))).toBe(bytesOf(sent));
      await waitFor('replayed', () => replay.unique().size === sent.length, patience);
      for (const id of sent) expect(replay.payloads.get(id)).toBe(`payload:${id}`);
    } finally {
      await again.close(0);
    }
  });

  it('reports a write torn inside a prepared segment with the bytes it dropped, not the zeros after them', async () => {
    const dir = spools.dir;
    const records = ids('torn', 3).map(message);
    const whole = Buffer.alloc(bytesOf(records.map((r) => r.id)));
    let at = 0;
    for (const r of records) at = encodeRecord(whole, at, r, FLAG_END, Date.now());
    const cut = message('torn-cut');
    const torn = Buffer.alloc(recordSize(cut));
    encodeRecord(torn, 0, cut, FLAG_END, Date.now());
    const file = Buffer.alloc(SEGMENT);
    whole.copy(file, 0);
    torn.copy(file, whole.length, 0, torn.length - 5);
    await writeFile(segmentPath(dir, 1), file);

    const recovered = await recover(dir);
    expect(recovered.index.pendingRecords).toBe(3);
    expect(recovered.tornTails).toEqual([{ seq: 1, fileSize: SEGMENT, validEnd: whole.length, dataEnd: whole.length + torn.length - 5 }]);
    expect(await sizeOf(segmentPath(dir, 1))).toBe(whole.length);
  });

  it('recovers exactly the calls written whole into a prepared segment, wherever a write was torn (property)', async () => {
    // A call: 1-3 records whose payloads may end in zero bytes, like the zeros after them.
    const call = fc.array(fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.concat([Buffer.from('{'), bytes])), { minLength: 1, maxLength: 3 });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 12 }), fc.nat(), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), async (calls, k, cutAt) => {
        const dir = join(spools.dir, `p${n++}`);
        await mkdir(dir);
        // Calls [0, whole) are on disk; call `whole` (if any) reached it only in part: a kill -9 during its write.
        const whole = k % (calls.length + 1);
        const frames = calls.map((records, c) => encodedGroup(records.map((data, i) => ({ id: `c${c}-r${i}`, data }))));
        const kept = Buffer.concat(frames.slice(0, whole));
        const frame = frames[whole];
        const torn = frame?.subarray(0, Math.floor(cutAt * frame.length)) ?? Buffer.alloc(0);
        // A record ends with its payload: a write torn where only zeros were left to write (a payload ending in
        // zero bytes) leaves the segment holding the whole call, byte for byte, and it is recovered as written.
        const complete = frame !== undefined && frame.subarray(torn.length).every((b) => b === 0);
        const file = Buffer.alloc(SEGMENT);
        kept.copy(file, 0);
        torn.copy(file, kept.length);
        await writeFile(segmentPath(dir, 1), file);

        const recovered = await recover(dir);
        const onDisk = complete ? whole + 1 : whole;
        expect(recovered.index.pendingRecords).toBe(calls.slice(0, onDisk).reduce((sum, c) => sum + c.length, 0));
        expect(await sizeOf(segmentPath(dir, 1))).toBe(kept.length + (complete ? frame.length : 0));
        // Reported as torn only when the torn write left bytes that are not zero (a tear in zeros looks like none).
        expect(recovered.tornTails.length).toBe(!complete && torn.some((b) => b !== 0) ? 1 : 0);
        expect(recovered.salvaged).toEqual([]);
      }),
      {
        numRuns: 60,
        // Found by a run: one record whose payload ends in a zero byte, torn just before that byte.
        examples: [[[[Buffer.from([123, 0])], [Buffer.from([123])]], 0, 0.9583333333333333]],
      },
    );
  });

  it('prepares nothing while the disk has less than four segments of free space: segments grow as they are written', async () => {
    const disk = await statfs(spools.dir);
    const segmentBytes = Math.floor((disk.bavail * disk.bsize) / (FREE_SEGMENTS_NEEDED - 1));
    const bus = new RecordingBus();
    bus.hold();
    const { spool } = await open(bus, { segmentBytes });
    const sent = ids('short', 5);
    for (const id of sent) await spool.append([message(id)]);
    expect(await sizeOf(segmentPath(spools.dir, 1))).toBe(bytesOf(sent));
    expect(await exists(join(spools.dir, STANDBY_NAME))).toBe(false);
  });

  it('stores on when the next segment cannot be prepared, and says so', async () => {
    // A directory where the standby file goes: it can be neither removed as a file nor created.
    await mkdir(join(spools.dir, STANDBY_NAME));
    const bus = new RecordingBus();
    const { spool, telemetry } = await open(bus, { segmentBytes: SEGMENT });
    expect(await metricCount(telemetry, 'gatehouse_spool_preallocate_failed_total')).toBeGreaterThan(0);
    const sent = ids('plain', 10);
    for (const id of sent) await spool.append([message(id)]);
    expect(await sizeOf(segmentPath(spools.dir, 1))).toBe(bytesOf(sent));
    await waitFor('forwarded', () => bus.unique().size === sent.length, patience);
  });

  it.each(['interval', 'never'] as const)('leaves segments to grow with fsync %s (nothing to gain there)', async (fsync) => {
    const bus = new RecordingBus();
    bus.hold();
    const { spool } = await open(bus, { segmentBytes: SEGMENT, fsync, fsyncInterval: 20 });
    const sent = ids(`g-${fsync}`, 5);
    for (const id of sent) await spool.append([message(id)]);
    expect(await sizeOf(segmentPath(spools.dir, 1))).toBe(bytesOf(sent));
    expect(await exists(join(spools.dir, STANDBY_NAME))).toBe(false);
  });

  it('can be turned off', async () => {
    const bus = new RecordingBus();
    bus.hold();
    const { spool } = await open(bus, { segmentBytes: SEGMENT, preallocate: false });
    const sent = ids('off', 5);
    for (const id of sent) await spool.append([message(id)]);
    expect(await sizeOf(segmentPath(spools.dir, 1))).toBe(bytesOf(sent));
    expect(await exists(join(spools.dir, STANDBY_NAME))).toBe(false);
  });
});
