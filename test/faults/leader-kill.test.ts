import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { Load } from './load.js';
import { faultSuite, startLocalConsumer, startLocalGateway } from './harness.js';
import { expectExactlyOnce, holdings, ledger, settle } from './ledger.js';

describe('delivery: the stream leader is killed under load', () => {
  const suite = faultSuite(3);
  const { rig } = suite;

  it('stores every 2xx event exactly once across the election', async () => {
    const s = suite.scenario('leaderkill');
    await startLocalConsumer(rig, s);
    const gw = await startLocalGateway(rig, s);
    const load = new Load({ url: () => gw.url, prefix: 'leaderkill', rate: 150, max: 3_000 }).start();

    await waitFor('events flowing before the kill', () => load.okCount >= 300);
    const leader = await suite.cluster.nats.leaderIndex(s.stream);
    await suite.cluster.nats.kill(leader, 'SIGKILL');
    const atKill = load.okCount;
    await waitFor('a new stream leader', async () => (await suite.cluster.nats.leaderIndex(s.stream)) !== leader, { timeoutMs: 60_000 });
    // Keep the load on past the election, so publishes were in flight during and after it.
    await waitFor('load after the election', () => load.okCount >= atKill + 600 || load.finished, { timeoutMs: 60_000 });
    await suite.cluster.nats.restart(leader);
    const tally = await load.stop();

    await settle('leader kill', gw.pendingRecords, () => suite.cluster.lag(s.stream));
    const result = ledger('leader killed (SIGKILL)', tally, await holdings(suite.cluster, s, 'leaderkill'));
    expectExactlyOnce(result);
    expect(result.ok).toBeGreaterThan(atKill);
  }, 150_000);
});
