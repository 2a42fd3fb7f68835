import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { Load } from './load.js';
import { faultSuite, startLocalConsumer, startLocalGateway } from './harness.js';
import { expectExactlyOnce, holdings, ledger, settle } from './ledger.js';

/** How long two of the three nodes stay down (the scenario's specification, not a wait for a condition). */
const OUTAGE_MS = 15_000;

describe('delivery: two of three NATS nodes down (quorum lost) under load', () => {
  const suite = faultSuite(3);
  const { rig } = suite;

  it('answers 2xx from the spool while the stream has no quorum, and stores every 2xx event once after', async () => {
    const s = suite.scenario('quorum');
    const consumer = await startLocalConsumer(rig, s);
    const gw = await startLocalGateway(rig, s);
    const load = new Load({ url: () => gw.url, prefix: 'quorum', rate: 100, max: 3_000 }).start();

    await waitFor('events stored before the outage', async () => (await consumer.store.countEvents({ ename: 'quorum' })) >= 200);
    // The stream leader and one follower: the survivor alone cannot elect a leader or accept a write.
    const leader = await suite.cluster.nats.leaderIndex(s.stream);
    const down = [leader, (leader + 1) % 3];
    await Promise.all(down.map((i) => suite.cluster.nats.kill(i, 'SIGKILL')));
    const outageStart = Date.now();
    const atOutage = load.okCount;

    // The load keeps running through the outage; the gateway must keep answering from its spool.
    await waitFor('the outage to last its 15 s under load', () => Date.now() - outageStart >= OUTAGE_MS || load.finished, {
      timeoutMs: OUTAGE_MS + 30_000,
      intervalMs: 100,
    });
    const duringOutage = load.okCount - atOutage;
    const spooled = await gw.pendingRecords();
    expect(spooled).toBeGreaterThan(0);

    await Promise.all(down.map((i) => suite.cluster.nats.restart(i)));
    await waitFor('a stream leader again', () => suite.cluster.nats.leaderIndex(s.stream).then(() => true), { timeoutMs: 60_000 });
    const atRecovery = load.okCount;
    await waitFor('load after the recovery', () => load.okCount >= atRecovery + 200 || load.finished, { timeoutMs: 60_000 });
    const tally = await load.stop();

    await settle('quorum loss', gw.pendingRecords, () => suite.cluster.lag(s.stream), 120_000);
    const result = ledger('2 of 3 nodes down for 15 s', tally, await holdings(suite.cluster, s, 'quorum'));
    expect(duringOutage).toBeGreaterThan(0);
    expectExactlyOnce(result);
  }, 180_000);
});
