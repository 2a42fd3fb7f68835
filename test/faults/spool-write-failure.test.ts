import { describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import { PIXEL_GIF } from '../../src/track/routes/pixel.js';
import { listSegments, segmentPath } from '../../src/spool/segment-files.js';
import { waitFor } from '../helpers/wait.js';
import { Load, type LoadTally } from './load.js';
import { faultSuite, limitFileSize, metricValue, readyz, servePorts, startLocalConsumer, startServeChild } from './harness.js';
import { expectExactlyOnce, holdings, ledger, settle } from './ledger.js';

/** The two tallies of a scenario as one: what its clients were promised in all. */
function merged(a: LoadTally, b: LoadTally): LoadTally {
  const failed = new Map(a.failed);
  for (const [k, v] of b.failed) failed.set(k, (failed.get(k) ?? 0) + v);
  return { sent: a.sent + b.sent, ok: new Set([...a.ok, ...b.ok]), ids: new Set([...a.ids, ...b.ids]), failed, retryAfter: a.retryAfter + b.retryAfter };
}

/**
 * A spool whose writes fail, as on a full disk: the gateway's file-size limit (RLIMIT_FSIZE, set on the running
 * process with prlimit) is put just past the end of its current segment, so the next group write gets EFBIG
 * part-way through, as a write that runs out of blocks does. Then the limit is lifted again.
 */
describe('delivery: spool writes fail (disk full), then succeed again', () => {
  const suite = faultSuite(1);
  const { rig } = suite;

  it('answers 503 (pixels: their GIF with 503), turns unready, keeps no partial record, and recovers without traffic', async () => {
    const s = suite.scenario('diskfull');
    const consumer = await startLocalConsumer(rig, s);
    const ports = await servePorts();
    // Plain segments, whose writes extend the file: the limit below is a size. A prepared segment's writes stay inside
    // blocks it already has, and fail only when the next segment cannot be made (spool-disk-full.test.ts).
    const spool = { ...s.raw().spool, retryAfter: '1s', preallocate: false };
    const gw = await startServeChild(rig, s, ports, { spool, protocols: { snowplow: { enabled: true } } });
    const pid = gw.proc.pid;
    if (pid === undefined) throw new Error('the gateway child has no pid');
    const before = new Load({ url: () => gw.url, prefix: 'diskfull', rate: 100, max: 200 }).start();
    await waitFor('events stored before the failure', async () => (await consumer.store.countEvents({ ename: 'diskfull' })) >= 50);
    const first = await before.stop();

    // The load has stopped, so the segment no longer grows: 100 bytes of room, less than any group.
    const seq = (await listSegments(s.spoolDir)).at(-1);
    if (seq === undefined) throw new Error('no spool segment');
    const committed = (await stat(segmentPath(s.spoolDir, seq))).size;
    limitFileSize(pid, committed + 100);

    const refused = new Load({ url: () => gw.url, prefix: 'diskfull-refused', max: 0 });
    for (let i = 0; i < 5; i++) {
      const eid = `diskfull-refused-${i}`;
      const res = await fetch(`${gw.url}/tr/v1/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ename: 'diskfull', eid }) });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toMatchObject({ error: { code: 'NOT_ACCEPTING' } });
      refused.record(eid, res.status);
    }
    const pixel = await fetch(`${gw.url}/img/v1/?ename=diskfull&eid=diskfull-refused-pixel`);
    refused.record('diskfull-refused-pixel', pixel.status);
    expect(pixel.status).toBe(503);
    expect(pixel.headers.get('retry-after')).toBe('1');
    expect(pixel.headers.get('content-type')).toBe('image/gif');
    expect(Buffer.from(await pixel.arrayBuffer())).toEqual(PIXEL_GIF);
    const snowplow = await fetch(`${gw.url}/i?e=pv&url=${encodeURIComponent('https://www.example.com/')}&duid=diskfull-snowplow`);
    expect([snowplow.status, snowplow.headers.get('retry-after'), snowplow.headers.get('content-type')]).toEqual([503, '1', 'image/gif']);
    expect(Buffer.from(await snowplow.arrayBuffer())).toEqual(PIXEL_GIF);
    // The part of the first refused group that fit was cut off again.
    expect((await stat(segmentPath(s.spoolDir, seq))).size).toBe(committed);

    // /readyz caches its report for a second.
    const unready = await waitFor('/readyz to report the failing spool', async () => {
      const r = await readyz(gw.url);
      return r.status === 503 ? r : undefined;
    });
    expect(unready.body.checks?.spool).toMatchObject({ status: 'down' });
    expect(JSON.stringify(unready.body.checks?.spool)).toMatch(/spool writes are failing: EFBIG/);
    const metrics = await (await fetch(`http://127.0.0.1:${ports.adminPort}/metrics`)).text();
    expect(metricValue(metrics, 'gatehouse_spool_write_failing')).toBe(1);

    // No request arrives from here on until the gateway is ready: its own probe must find out.
    limitFileSize(pid, 'unlimited');
    await waitFor('/readyz to be 200 again with no traffic', async () => (await readyz(gw.url)).status === 200, { timeoutMs: 30_000 });
    const after = new Load({ url: () => gw.url, prefix: 'diskfull-after', rate: 100, max: 100 }).start();
    await waitFor('2xx again after the recovery', () => after.finished && after.okCount === 100, { timeoutMs: 60_000 });
    const second = await after.stop();

    await settle('spool write failure', gw.pendingRecords, () => suite.cluster.lag(s.stream));
    gw.signal('SIGTERM');
    expect(await gw.exited()).toEqual({ code: 0, signal: null });
    const tally = merged(merged(first, refused.tally()), second);
    const held = await holdings(suite.cluster, s, 'diskfull');
    const result = ledger('spool writes fail (EFBIG), then recover', tally, held);
    expect(first.ok.size).toBeGreaterThanOrEqual(50);
    expectExactlyOnce(result);
    // What was answered 503 was never stored, not even the part of a record that reached the file.
    expect([...refused.tally().ids].filter((id) => held.stored.has(id))).toEqual([]);
  }, 150_000);
});
