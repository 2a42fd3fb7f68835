import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait.js';
import { ids, message, metricCount, quietTelemetry, RecordingBus, spoolConfig, useSpools } from '../../test/spool-harness.js';
import { createSpool } from './create-spool.js';
import { SpoolClosedError, SpoolNotStartedError, SpoolRecordError } from './errors.js';
import { RECORD_OVERHEAD } from './record.js';
import { SpoolFullError } from './spool.js';

describe('spool append', () => {
  const spools = useSpools();
  const { open } = spools;

  it('round-trips every record to the bus with its payload', async () => {
    const bus = new RecordingBus();
    const { spool } = await open(bus);
    const sent = ids('rt', 50);
    await Promise.all(sent.map((id) => spool.append([message(id)])));
    await waitFor('all published', () => bus.unique().size === sent.length);
    for (const id of sent) expect(bus.payloads.get(id)).toBe(`payload:${id}`);
    await waitFor('nothing pending', () => spool.stats().pendingRecords === 0);
    expect(spool.stats()).toMatchObject({ pendingBytes: 0, oldestAgeMs: 0 });
  });

  it.each(['always', 'interval', 'never'] as const)('coalesces concurrent appends into one group write (fsync %s)', async (fsync) => {
    const bus = new RecordingBus();
    bus.hold(); // keep the forwarder out of the way: this test is about writes
    const { spool, telemetry } = await open(bus, { fsync, fsyncInterval: 20 });
    await Promise.all(ids('gc', 200).map((id) => spool.append([message(id)])));
    // 200 calls issued in one tick share one write (the histogram's count is the number of group writes).
    expect(await metricCount(telemetry, 'gatehouse_spool_group_records')).toBe(1);
    expect(spool.stats().pendingRecords).toBe(200);
  });

  it('marks where each group commit ends, so the bus packs a group and never across two', async () => {
    const bus = new RecordingBus();
    const release = bus.hold();
    const { spool } = await open(bus);
    // Two calls in one tick share a group write; the third call is a group of its own.
    await Promise.all([spool.append(['g1-a', 'g1-b'].map(message)), spool.append([message('g1-c')])]);
    await spool.append([message('g2-a')]);
    release();
    await waitFor('all published', () => bus.unique().size === 4);
    expect(bus.published).toEqual(['g1-a', 'g1-b', 'g1-c', 'g2-a']);
    expect(bus.packEnds).toEqual(['g1-c', 'g2-a']);
  });

  it('refuses with SpoolFullError past maxBytes, all of a call or none, and accepts again once forwarded', async () => {
    const bus = new RecordingBus();
    const release = bus.hold();
    const size = RECORD_OVERHEAD + Buffer.byteLength('f-0') + Buffer.byteLength('payload:f-0');
    const { spool } = await open(bus, { maxBytes: size * 10 });
    await spool.append(ids('f', 8).map(message));
    const overflowing = ['o-a', 'o-b', 'o-c'].map(message);
    await expect(spool.append(overflowing)).rejects.toBeInstanceOf(SpoolFullError);
    // Full (for /readyz) while a call like the refused one would be refused again, though pendingBytes < maxBytes.
    expect(spool.stats()).toMatchObject({ pendingRecords: 8, pendingBytes: size * 8, maxBytes: size * 10, full: true });
    release();
    await waitFor('space freed by forwarding', () => spool.stats().pendingBytes === 0);
    expect(spool.stats().full).toBe(false);
    await spool.append(overflowing);
    await waitFor('the refused call accepted and published', () => bus.unique().has('o-c'));
    expect(bus.unique().size).toBe(11);
  });

  it('counts queued (not yet written) bytes against the limit', async () => {
    const bus = new RecordingBus();
    bus.hold();
    const size = RECORD_OVERHEAD + Buffer.byteLength('q-0') + Buffer.byteLength('payload:q-0');
    const { spool } = await open(bus, { maxBytes: size * 3 });
    const calls = ids('q', 5).map((id) => spool.append([message(id)]));
    const results = await Promise.allSettled(calls);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });

  it('rejects with typed errors before start, after close, and for an unframeable id', async () => {
    const bus = new RecordingBus();
    const spool = createSpool({ config: spoolConfig(spools.dir), bus, telemetry: quietTelemetry() });
    await expect(spool.append([message('early')])).rejects.toBeInstanceOf(SpoolNotStartedError);
    await spool.start();
    await expect(spool.append([{ id: 'x'.repeat(70_000), data: new Uint8Array() }])).rejects.toBeInstanceOf(SpoolRecordError);
    await spool.close(1_000);
    await expect(spool.append([message('late')])).rejects.toBeInstanceOf(SpoolClosedError);
    await spool.close(1_000); // idempotent
  });

  it('resolves an empty append without writing', async () => {
    const { spool, telemetry } = await open(new RecordingBus());
    await spool.append([]);
    expect(await metricCount(telemetry, 'gatehouse_spool_group_records')).toBe(0);
  });
});
