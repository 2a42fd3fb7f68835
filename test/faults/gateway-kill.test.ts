import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { Load } from './load.js';
import { faultSuite, servePorts, startLocalConsumer, startServeChild } from './harness.js';
import { expectExactlyOnce, holdings, ledger, settle } from './ledger.js';

describe('delivery: the gateway is killed -9 under load', () => {
  const suite = faultSuite(3);
  const { rig } = suite;

  it('replays its spool after a restart on the same dir, and every 2xx event is stored once', async () => {
    const s = suite.scenario('gatewaykill');
    await startLocalConsumer(rig, s);
    const ports = await servePorts();
    // fsync "always" (the default): a 2xx means the event is on disk, whatever happens to the process.
    let gw = await startServeChild(rig, s, ports);
    const load = new Load({ url: () => gw.url, prefix: 'gatewaykill', rate: 200, max: 3_000 }).start();
    await waitFor('load on the gateway', () => load.okCount >= 600);

    gw.signal('SIGKILL');
    expect((await gw.exited()).signal).toBe('SIGKILL');
    const atKill = load.okCount;

    gw = await startServeChild(rig, s, ports);
    await waitFor('load on the restarted gateway', () => load.okCount >= atKill + 400 || load.finished, { timeoutMs: 60_000 });
    const tally = await load.stop();

    await settle('gateway kill', gw.pendingRecords, () => suite.cluster.lag(s.stream));
    gw.signal('SIGTERM');
    expect(await gw.exited()).toEqual({ code: 0, signal: null });
    const result = ledger('gateway killed -9 under load, restarted', tally, await holdings(suite.cluster, s, 'gatewaykill'));
    expectExactlyOnce(result);
  }, 150_000);
});
