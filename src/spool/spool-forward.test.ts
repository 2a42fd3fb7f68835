import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait.js';
import { deletedOpenFiles } from '../../test/helpers/open-files.js';
import { ids, message, metricCount, RecordingBus, useSpools } from '../../test/spool-harness.js';
import { readCheckpoint } from './checkpoint.js';

const patience = { timeoutMs: 20_000 };

describe('spool forwarder', () => {
  const spools = useSpools();
  const { open } = spools;
  const segments = async () => (await readdir(spools.dir)).filter((n) => n.endsWith('.seg'));

  it('advances the checkpoint only after the publish resolves', async () => {
    const bus = new RecordingBus();
    const release = bus.hold();
    const { spool } = await open(bus);
    await spool.append(ids('cp', 5).map(message));
    await waitFor('a publish in progress', () => bus.calls > 0, patience);
    const before = await readCheckpoint(spools.dir);
    expect(before.status === 'missing' || (before.status === 'ok' && before.position.offset === 0)).toBe(true);
    expect(spool.stats().pendingRecords).toBe(5);
    release();
    await waitFor('the checkpoint past the batch', async () => {
      const after = await readCheckpoint(spools.dir);
      return after.status === 'ok' && after.position.offset > 0;
    }, patience);
    expect(spool.stats().pendingRecords).toBe(0);
  });

  it('retries failed publishes with backoff and never skips a record', async () => {
    const bus = new RecordingBus();
    bus.failing = true;
    const { spool, telemetry } = await open(bus, { publishBatch: 7, publishInFlight: 3 });
    const sent = ids('rf', 60);
    for (let i = 0; i < sent.length; i += 10) await spool.append(sent.slice(i, i + 10).map(message));
    const failed = () => metricCount(telemetry, 'gatehouse_spool_forward_failed_total');
    await waitFor('several failed attempts', async () => (await failed()) >= 3, patience);
    expect(bus.published).toEqual([]);
    expect(spool.stats().pendingRecords).toBe(60);
    bus.failing = false;
    await waitFor('every record published', () => bus.unique().size === sent.length, patience);
    expect([...bus.unique()].sort()).toEqual([...sent].sort());
    await waitFor('nothing pending', () => spool.stats().pendingRecords === 0, patience);
  });

  it('publishes in batches of at most publishBatch, pipelined', async () => {
    const bus = new RecordingBus();
    const release = bus.hold();
    const { spool } = await open(bus, { publishBatch: 10, publishInFlight: 4 });
    await spool.append(ids('pb', 100).map(message));
    await waitFor('four batches in flight', () => bus.calls === 4, patience);
    release();
    await waitFor('all published', () => bus.unique().size === 100, patience);
    expect(bus.calls).toBeGreaterThanOrEqual(10);
  });

  it('rolls segments at segmentBytes and deletes the ones fully forwarded', async () => {
    const bus = new RecordingBus();
    const release = bus.hold();
    const { spool } = await open(bus, { segmentBytes: 512 });
    const sent = ids('sg', 40);
    for (let i = 0; i < sent.length; i += 4) await spool.append(sent.slice(i, i + 4).map(message));
    expect((await segments()).length).toBeGreaterThan(3);
    release();
    await waitFor('all published', () => bus.unique().size === sent.length, patience);
    await waitFor('only the active segment left', async () => (await segments()).length === 1, patience);
  });

  it('holds no segment it deleted open (its disk space comes back), also after reading segments from disk', async () => {
    const bus = new RecordingBus();
    bus.failing = true;
    const { spool, telemetry } = await open(bus, { segmentBytes: 512, publishBatch: 4 });
    const sent = ids('fd', 40);
    for (let i = 0; i < sent.length; i += 4) await spool.append(sent.slice(i, i + 4).map(message));
    // A failed publish rewinds the reader to the checkpoint: it reads the first segments back from their files.
    await waitFor('a failed publish', async () => (await metricCount(telemetry, 'gatehouse_spool_forward_failed_total')) >= 1, patience);
    bus.failing = false;
    await waitFor('all published', () => bus.unique().size === sent.length, patience);
    // Groups committed now reach the forwarder in memory: the reader opens no other file, and keeps the last one.
    const more = ids('fd-more', 40);
    for (let i = 0; i < more.length; i += 4) await spool.append(more.slice(i, i + 4).map(message));
    await waitFor('all published', () => bus.unique().size === sent.length + more.length, patience);
    await waitFor('only the active segment left', async () => (await segments()).length === 1, patience);
    expect(await deletedOpenFiles('self', spools.dir)).toEqual([]);
  });

  it('close publishes what is pending when the bus answers', async () => {
    const bus = new RecordingBus();
    const release = bus.hold();
    const { spool } = await open(bus);
    await spool.append(ids('cl', 30).map(message));
    const closed = spool.close(30_000);
    release();
    await closed;
    expect(bus.unique().size).toBe(30);
    const cp = await readCheckpoint(spools.dir);
    expect(cp.status).toBe('ok');
  });

  it('close gives up at its deadline when the bus hangs, and a restart replays what is left', async () => {
    const hanging = new RecordingBus();
    hanging.hold(); // never released: publishes never resolve
    const { spool } = await open(hanging);
    const sent = ids('dl', 20);
    await spool.append(sent.map(message));
    await waitFor('a publish in progress', () => hanging.calls > 0, patience);
    await spool.close(100);
    expect(spool.stats().pendingRecords).toBe(20);

    const bus = new RecordingBus();
    const restarted = await open(bus);
    expect(restarted.spool.stats().pendingRecords).toBe(20);
    await waitFor('replayed after restart', () => bus.unique().size === sent.length, patience);
  });
});
