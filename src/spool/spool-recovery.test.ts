import { appendFile, readdir, stat, writeFile } from 'node:fs/promises';
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
