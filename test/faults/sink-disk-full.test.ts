import { describe, expect, it } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { waitFor } from '../helpers/wait.js';
import { Load } from './load.js';
import { faultSuite, limitFileSize, startConsumeChild, startLocalGateway, type Child, type LocalGateway, type Setup } from './harness.js';
import { expectExactlyOnce, holdings, ledger, settle } from './ledger.js';
import { createDuckDbStore } from '../../src/sinks/duckdb/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { sampleBatch } from '../helpers/cassandra-batch.js';

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/**
 * The store's disk refuses writes, for real: `gatehouse consume` gets a file-size limit (RLIMIT_FSIZE, set on the
 * running process with prlimit) just past the end of DuckDB's files, so its next WAL append fails part-way with
 * EFBIG, as on a full disk. The sink outage test injects failures at the Sink interface; this one lets DuckDB
 * itself fail, and checks that it commits nothing half-written and takes writes again once the limit is lifted.
 */
describe('delivery: the store disk refuses writes, then takes them again', () => {
  const suite = faultSuite(1);
  const { rig } = suite;

  /** Stops the load, lets everything settle, closes the consumer and checks every 2xx event was stored once. */
  async function storedOnce(what: string, sc: { s: Setup; gw: LocalGateway; consumer: Child; load: Load; prefix: string }): Promise<void> {
    const tally = await sc.load.stop();
    await settle(what, sc.gw.pendingRecords, () => suite.cluster.lag(sc.s.stream));
    // DuckDB is single-writer: the consumer closes it (folding its WAL in) before the ledger reads it.
    sc.consumer.signal('SIGTERM');
    expect(await sc.consumer.exited()).toEqual({ code: 0, signal: null });
    expectExactlyOnce(ledger(what, tally, await holdings(suite.cluster, sc.s, sc.prefix)));
  }

  it('keeps the events unacked while DuckDB cannot write, then stores every 2xx event once', async () => {
    const s = suite.scenario('sinkdisk');
    const consumer = await startConsumeChild(rig, s);
    const pid = consumer.proc.pid;
    if (pid === undefined) throw new Error('the consumer child has no pid');
    const gw = await startLocalGateway(rig, s);
    const load = new Load({ url: () => gw.url, prefix: 'sinkdisk', rate: 150, max: 3_000 }).start();
    await waitFor('the consumer to keep up with the load', async () => load.okCount >= 300 && (await suite.cluster.lag(s.stream)).pending === 0);

    limitFileSize(pid, Math.max(size(s.dbPath), size(`${s.dbPath}.wal`)) + 1_000);
    await waitFor('DuckDB to refuse a write, and a backlog', async () => {
      const lag = await suite.cluster.lag(s.stream);
      return /"sinkWriteFailed".*File too large/.test(consumer.output()) && lag.pending + lag.ackPending > 100;
    });

    limitFileSize(pid, 'unlimited');
    const atLift = load.okCount;
    await waitFor('load after the limit is lifted', () => load.okCount >= atLift + 300 || load.finished, { timeoutMs: 60_000 });
    await storedOnce('the store disk refuses writes (EFBIG), then takes them', { s, gw, consumer, load, prefix: 'sinkdisk' });
  }, 150_000);

  it('attaches the file again after a checkpoint the full disk stopped (DuckDB invalidates it), and stores every 2xx event once', async () => {
    const s = suite.scenario('sinkckpt');
    // A file larger than the WAL grows (a checkpoint every 8 MiB of it): with the limit just past the file's end,
    // commits still go to the WAL and the checkpoint that folds them into the file fails. DuckDB then refuses every
    // statement on that file ("Detach and reattach it"), also once the disk has room again.
    const prefill = createDuckDbStore({ config: { path: s.dbPath }, telemetry: new Telemetry(createLogger('silent'), { defaultMetrics: false }) });
    await prefill.start();
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    for (let b = 0; b < 300; b++) await prefill.write(sampleBatch(1_000, 200, start + b * 1_000));
    await prefill.close();
    expect(size(s.dbPath)).toBeGreaterThan(10 * 1024 * 1024);

    const consumer = await startConsumeChild(rig, s);
    const pid = consumer.proc.pid;
    if (pid === undefined) throw new Error('the consumer child has no pid');
    const gw = await startLocalGateway(rig, s);
    // ~4 KB events: 8 MiB of WAL, so a checkpoint, every ~2,000 of them.
    const load = new Load({ url: () => gw.url, prefix: 'sinkckpt', rate: 200, max: 12_000, padding: 4_000 }).start();
    await waitFor('the consumer to keep up with the load', async () => load.okCount >= 300 && (await suite.cluster.lag(s.stream)).pending === 0);

    expect(size(`${s.dbPath}.wal`)).toBeLessThan(size(s.dbPath));
    limitFileSize(pid, size(s.dbPath) + 1_000);
    await waitFor('DuckDB to invalidate the file at a checkpoint', () => /has been invalidated/.test(consumer.output()), { timeoutMs: 90_000 });

    limitFileSize(pid, 'unlimited');
    const atLift = load.okCount;
    await waitFor('the file attached again', () => consumer.output().includes('"sinkStoreReopened"'), { timeoutMs: 60_000 });
    await waitFor('load after the limit is lifted', () => load.okCount >= atLift + 300 || load.finished, { timeoutMs: 60_000 });
    await storedOnce('a checkpoint stopped by a full disk, the file attached again', { s, gw, consumer, load, prefix: 'sinkckpt' });
  }, 240_000);
});
