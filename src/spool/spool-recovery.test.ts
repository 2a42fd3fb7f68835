import { appendFile, readFile, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait.js';
import { ids, message, metricCount, RecordingBus, spoolConfig, startSpool, useSpools } from '../../test/spool-harness.js';
import { CHECKPOINT_FILE, writeCheckpoint } from './checkpoint.js';
import { FLAG_END, encodeRecord, recordSize } from './record.js';
import { segmentPath } from './segment-files.js';

const patience = { timeoutMs: 20_000 };

function encoded(id: string, flags: number): Buffer {
  const msg = message(id);
  const buf = Buffer.alloc(recordSize(msg));
  encodeRecord(buf, 0, msg, flags, Date.now());
  return buf;
}

describe('spool recovery', () => {
  const spools = useSpools();
  const { open } = spools;

  /** A first run that spools `sent` while the bus is down, then stops. */
  const spoolWhileBusDown = async (sent: string[]) => {
    const down = new RecordingBus();
    down.failing = true;
    const { spool } = await open(down);
    for (let i = 0; i < sent.length; i += 5) await spool.append(sent.slice(i, i + 5).map(message));
    await spool.close(0);
  };

  it('replays unforwarded records after a restart', async () => {
    const sent = ids('rp', 25);
    await spoolWhileBusDown(sent);
    const bus = new RecordingBus();
    const { spool } = await open(bus);
    expect(spool.stats().pendingRecords).toBe(25);
    expect(spool.stats().oldestAgeMs).toBeGreaterThanOrEqual(0);
    await waitFor('replayed', () => bus.unique().size === 25, patience);
    for (const id of sent) expect(bus.payloads.get(id)).toBe(`payload:${id}`);
  });

  it('replays only from the checkpoint', async () => {
    const first = new RecordingBus();
    const run1 = await open(first);
    await run1.spool.append(ids('done', 10).map(message));
    await waitFor('first records forwarded', () => run1.spool.stats().pendingRecords === 0, patience);
    first.failing = true;
    await run1.spool.append(ids('left', 10).map(message));
    await waitFor('a failed publish', () => first.failures > 0, patience);
    await run1.spool.close(0);

    const bus = new RecordingBus();
    const run2 = await open(bus);
    expect(run2.spool.stats().pendingRecords).toBe(10);
    await waitFor('the rest replayed', () => bus.unique().size === 10, patience);
    expect([...bus.unique()].every((id) => id.startsWith('left-'))).toBe(true);
  });

  it('truncates a torn tail and keeps every whole call', async () => {
    await spoolWhileBusDown(ids('tt', 10));
    const path = segmentPath(spools.dir, 1);
    const good = (await stat(path)).size;
    const torn = encoded('torn', FLAG_END);
    await appendFile(path, torn.subarray(0, torn.length - 3));

    const bus = new RecordingBus();
    const { spool, telemetry } = await open(bus);
    expect(spool.stats().pendingRecords).toBe(10);
    expect((await stat(path)).size).toBe(good);
    expect(await metricCount(telemetry, 'gatehouse_spool_torn_tail_total')).toBe(1);
    await spool.append([message('after')]);
    await waitFor('old and new records published', () => bus.unique().size === 11, patience);
    expect(bus.unique().has('torn')).toBe(false);
  });

  it('drops the whole call when its last record is torn (all of a call or none)', async () => {
    await spoolWhileBusDown(ids('pc', 5));
    const path = segmentPath(spools.dir, 1);
    const last = encoded('call-b', FLAG_END);
    await appendFile(path, Buffer.concat([encoded('call-a', 0), last.subarray(0, 10)]));

    const bus = new RecordingBus();
    const { spool } = await open(bus);
    expect(spool.stats().pendingRecords).toBe(5);
    await waitFor('whole calls published', () => bus.unique().size === 5, patience);
    expect(bus.unique().has('call-a')).toBe(false);
  });

  it('keeps the intact records past a corrupt one in mid-segment (a flipped bit), losing only that record', async () => {
    await spoolWhileBusDown(ids('mc', 15)); // three calls of five records
    const path = segmentPath(spools.dir, 1);
    const bytes = await readFile(path);
    const size = recordSize(message('mc-0'));
    // The last byte of the seventh record: the second call's second record.
    bytes[7 * size - 1]! ^= 0xff;
    await writeFile(path, bytes);

    const bus = new RecordingBus();
    bus.failing = true; // the segments stay as recovery left them until the checks below are done
    const { spool, telemetry } = await open(bus);
    expect(spool.stats().pendingRecords).toBe(14);
    expect(await metricCount(telemetry, 'gatehouse_spool_salvaged_total')).toBe(1);
    // Copied into a segment of their own before the corrupt one was cut: the old one now ends with the last whole
    // call before the bad record (the sixth record, first of its call, went with the copies).
    expect((await stat(path)).size).toBe(5 * size);
    const copied = ['mc-5', 'mc-7', 'mc-8', 'mc-9', ...ids('mc', 15).slice(10)];
    expect((await stat(segmentPath(spools.dir, 2))).size).toBe(copied.reduce((n, id) => n + recordSize(message(id)), 0));
    bus.failing = false;
    await waitFor('the intact records published', () => bus.unique().size === 14, patience);
    expect(bus.unique().has('mc-6')).toBe(false);
    for (const id of bus.unique()) expect(bus.payloads.get(id)).toBe(`payload:${id}`);
  });

  it('keeps the records past a page the OS never wrote (zeros), and drops a torn call at the very end', async () => {
    await spoolWhileBusDown(ids('zp', 40));
    const path = segmentPath(spools.dir, 1);
    const bytes = await readFile(path);
    const size = recordSize(message('zp-0'));
    bytes.fill(0, 3 * size + 5, 9 * size + 5); // records 3 to 9 (the first three stay whole)
    const torn = encoded('zp-torn', FLAG_END);
    await writeFile(path, Buffer.concat([bytes, torn.subarray(0, torn.length - 2)]));

    const bus = new RecordingBus();
    const { spool } = await open(bus);
    // Lost: records 3-9 (zeroed); kept: 0-2 before the hole and 10-39 after it.
    expect(spool.stats().pendingRecords).toBe(33);
    await waitFor('the intact records published', () => bus.unique().size === 33, patience);
    for (let i = 3; i <= 9; i++) expect(bus.unique().has(`zp-${i}`)).toBe(false);
    expect(bus.unique().has('zp-torn')).toBe(false);
    await spool.append([message('after')]);
    await waitFor('a new record after recovery', () => bus.unique().has('after'), patience);
  });

  it('does not send again what the checkpoint says was forwarded past a corrupt record', async () => {
    await spoolWhileBusDown(ids('cf', 15));
    const path = segmentPath(spools.dir, 1);
    const bytes = await readFile(path);
    const size = recordSize(message('cf-0'));
    bytes[7 * size - 1]! ^= 0xff; // record 6
    await writeFile(path, bytes);
    await writeCheckpoint(spools.dir, { seq: 1, offset: 10 * size }); // records 0-9 were forwarded before the restart

    const bus = new RecordingBus();
    const { spool } = await open(bus);
    expect(spool.stats().pendingRecords).toBe(5);
    await waitFor('the rest published', () => bus.unique().size === 5, patience);
    expect([...bus.unique()].sort()).toEqual(ids('cf', 15).slice(10).sort());
  });

  it('finds nothing to keep in a tail of noise', async () => {
    await spoolWhileBusDown(ids('nz', 5));
    const path = segmentPath(spools.dir, 1);
    const good = (await stat(path)).size;
    const noise = Buffer.alloc(256 * 1024);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    await appendFile(path, noise);

    const bus = new RecordingBus();
    const { spool, telemetry } = await open(bus);
    expect(spool.stats().pendingRecords).toBe(5);
    expect((await stat(path)).size).toBe(good);
    expect(await metricCount(telemetry, 'gatehouse_spool_salvaged_total')).toBe(0);
    expect((await readdir(spools.dir)).filter((n) => n.endsWith('.seg'))).toHaveLength(2); // the old one and the writer's new one
  });

  it('replays everything when the checkpoint is unreadable', async () => {
    await spoolWhileBusDown(ids('cc', 10));
    await writeFile(join(spools.dir, CHECKPOINT_FILE), '{"segm');
    const bus = new RecordingBus();
    await open(bus);
    await waitFor('all replayed', () => bus.unique().size === 10, patience);
  });

  it('never writes below a checkpoint that is ahead of the data (a tail the OS lost)', async () => {
    await spoolWhileBusDown(ids('ah', 3));
    await writeCheckpoint(spools.dir, { seq: 1, offset: 1_000_000 });
    const bus = new RecordingBus();
    const { spool } = await open(bus);
    expect(spool.stats().pendingRecords).toBe(0);
    await spool.append(ids('new', 3).map(message));
    await waitFor('new records published', () => bus.unique().size === 3, patience);
    await waitFor('the passed segment deleted', async () => !(await readdir(spools.dir)).includes('00000000000000000001.seg'), patience);
  });

  it('starts at the first segment left when the checkpoint names one already deleted (deleted while its save failed)', async () => {
    const down = new RecordingBus();
    down.failing = true;
    const run1 = await open(down, { segmentBytes: 256 });
    const sent = ids('gone', 30, 10); // two digits each: no id is a prefix of another
    for (let i = 0; i < sent.length; i += 3) await run1.spool.append(sent.slice(i, i + 3).map(message));
    await run1.spool.close(0);
    // Forwarded and deleted, but the checkpoint on disk is older: it still points into segment 1.
    const seqs = (await readdir(spools.dir)).filter((n) => n.endsWith('.seg')).sort();
    expect(seqs.length).toBeGreaterThan(3);
    const left = new Set<string>();
    for (const name of seqs.slice(2)) for (const id of sent) if ((await readFile(join(spools.dir, name))).includes(`payload:${id}`)) left.add(id);
    await Promise.all(seqs.slice(0, 2).map((name) => unlink(join(spools.dir, name))));
    await writeCheckpoint(spools.dir, { seq: 1, offset: 40 });

    const bus = new RecordingBus();
    const { spool } = await open(bus, { segmentBytes: 256 });
    expect(spool.stats().pendingRecords).toBe(left.size);
    await waitFor('the segments left replayed', () => bus.unique().size === left.size, patience);
    expect(bus.unique()).toEqual(left);
    await spool.append(ids('after', 3).map(message));
    await waitFor('new records published', () => bus.unique().size === left.size + 3, patience);
  });

  it('creates the directory when missing', async () => {
    const nested = join(spools.dir, 'a', 'b');
    const { spool } = await startSpool(spoolConfig(nested), new RecordingBus());
    try {
      expect((await readdir(nested)).some((n) => n.endsWith('.seg'))).toBe(true);
    } finally {
      await spool.close(0);
    }
  });
});
