import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { Load } from './load.js';
import { faultSuite, startConsumeChild, startLocalGateway } from './harness.js';
import { expectExactlyOnce, holdings, ledger, settle } from './ledger.js';

describe('delivery: the consumer process is killed -9 mid-batch', () => {
  const suite = faultSuite(3);
  const { rig } = suite;

  it('redelivers what the killed consumer held, and stores every 2xx event once', async () => {
    const s = suite.scenario('consumerkill');
    // Batches of 100 out of a backlog: the consumer always has a batch in hand and more prefetched.
    const consumerConfig = { consumer: { ...s.raw().consumer, batchSize: 100 } };
    const gw = await startLocalGateway(rig, s);
    const load = new Load({ url: () => gw.url, prefix: 'consumerkill', rate: 200, max: 3_000 }).start();
    await waitFor('a backlog in the stream', () => load.okCount >= 800);

    const first = await startConsumeChild(rig, s, consumerConfig);
    // Mid-batch: messages delivered to it and not yet acked, with some batches already acked before them.
    await waitFor('the consumer to be mid-batch', async () => {
      const info = await suite.cluster.jsm.consumers.info(s.stream, 'gatehouse-store');
      return info.ack_floor.stream_seq >= 100 && info.num_ack_pending > 0;
    }, { intervalMs: 5 });
    first.signal('SIGKILL');
    expect((await first.exited()).signal).toBe('SIGKILL');
    const heldAtKill = (await suite.cluster.lag(s.stream)).ackPending;

    const second = await startConsumeChild(rig, s, consumerConfig);
    const atRestart = load.okCount;
    await waitFor('load after the restart', () => load.okCount >= atRestart + 400 || load.finished, { timeoutMs: 60_000 });
    const tally = await load.stop();

    // What the killed process held comes back after the consumer's ack wait.
    await settle('consumer kill', gw.pendingRecords, () => suite.cluster.lag(s.stream), 120_000);
    second.signal('SIGTERM');
    expect(await second.exited()).toEqual({ code: 0, signal: null });

    const result = ledger('consumer killed -9 mid-batch', tally, await holdings(suite.cluster, s, 'consumerkill'));
    expect(heldAtKill).toBeGreaterThan(0);
    expectExactlyOnce(result);
  }, 180_000);
});
