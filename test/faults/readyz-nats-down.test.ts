import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { Load } from './load.js';
import { faultSuite, startLocalConsumer, startLocalGateway } from './harness.js';
import { expectExactlyOnce, holdings, ledger, settle } from './ledger.js';

describe('delivery: /readyz follows the NATS connection', () => {
  const suite = faultSuite(1);
  const { rig } = suite;

  it('turns 503 while its only NATS node is down and 200 when it is back, losing no 2xx event', async () => {
    const s = suite.scenario('readyz');
    const consumer = await startLocalConsumer(rig, s);
    const gw = await startLocalGateway(rig, s);
    expect((await gw.readyz()).status).toBe(200);
    const load = new Load({ url: () => gw.url, prefix: 'readyz', rate: 100, max: 2_000 }).start();
    await waitFor('events stored before the outage', async () => (await consumer.store.countEvents({ ename: 'readyz' })) >= 100);

    await suite.cluster.nats.kill(0, 'SIGKILL');
    const down = await waitFor('/readyz to be 503', async () => {
      const r = await gw.readyz();
      return r.status === 503 ? r : undefined;
    });
    expect(down.body.checks?.bus?.status).toBe('down');
    const atOutage = load.okCount;
    // The spool takes the load meanwhile: 2xx answers keep coming while /readyz says 503.
    await waitFor('2xx answers during the outage', () => load.okCount >= atOutage + 100);

    await suite.cluster.nats.restart(0);
    const up = await waitFor('/readyz to be 200 again', async () => {
      const r = await gw.readyz();
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: 60_000 });
    expect(up.body.checks?.bus?.status).toBe('up');
    const atRecovery = load.okCount;
    await waitFor('load after the recovery', () => load.okCount >= atRecovery + 100 || load.finished);
    const tally = await load.stop();

    await settle('readyz', gw.pendingRecords, () => suite.cluster.lag(s.stream));
    const result = ledger('single NATS node down and back (/readyz 503 → 200)', tally, await holdings(suite.cluster, s, 'readyz'));
    expectExactlyOnce(result);
  }, 120_000);
});
