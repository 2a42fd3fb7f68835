import { describe, expect, it } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { waitFor } from '../helpers/wait.js';
import { Load } from './load.js';
import { faultSuite, limitFileSize, startConsumeChild, startLocalGateway } from './harness.js';
import { holdings, ledger, settle } from './ledger.js';

/**
 * The store's disk refuses writes, for real: `gatehouse consume` gets a file-size limit (RLIMIT_FSIZE, set on the
 * running process with prlimit) just past the end of DuckDB's files, so its next WAL append fails part-way with
 * EFBIG, as on a full disk. The sink outage test injects failures at the Sink interface; this one lets DuckDB
 * itself fail, and checks that it commits nothing half-written and takes writes again once the limit is lifted.
 */
describe('delivery: the store disk refuses writes, then takes them again', () => {
  const suite = faultSuite(1);
  const { rig } = suite;

  it('keeps the events unacked while DuckDB cannot write, then stores every 2xx event once', async () => {
    const s = suite.scenario('sinkdisk');
    const consumer = await startConsumeChild(rig, s);
    const pid = consumer.proc.pid;
    if (pid === undefined) throw new Error('the consumer child has no pid');
    const gw = await startLocalGateway(rig, s);
    const load = new Load({ url: () => gw.url, prefix: 'sinkdisk', rate: 150, max: 3_000 }).start();
    await waitFor('the consumer to keep up with the load', async () => load.okCount >= 300 && (await suite.cluster.lag(s.stream)).pending === 0);

    const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
    limitFileSize(pid, Math.max(size(s.dbPath), size(`${s.dbPath}.wal`)) + 1_000);
    await waitFor('DuckDB to refuse a write, and a backlog', async () => {
      const lag = await suite.cluster.lag(s.stream);
      return /"sinkWriteFailed".*File too large/.test(consumer.output()) && lag.pending + lag.ackPending > 100;
    });

    limitFileSize(pid, 'unlimited');
    const atLift = load.okCount;
    await waitFor('load after the limit is lifted', () => load.okCount >= atLift + 300 || load.finished, { timeoutMs: 60_000 });
    const tally = await load.stop();
    await settle('store disk full', gw.pendingRecords, () => suite.cluster.lag(s.stream));
    // DuckDB is single-writer: the consumer closes it (folding its WAL in) before the ledger reads it.
    consumer.signal('SIGTERM');
    expect(await consumer.exited()).toEqual({ code: 0, signal: null });

    const result = ledger('the store disk refuses writes (EFBIG), then takes them', tally, await holdings(suite.cluster, s, 'sinkdisk'));
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toBe(0);
    expect(result.streamed).toBe(result.stored);
    expect(result.foreign).toEqual([]);
  }, 150_000);
});
