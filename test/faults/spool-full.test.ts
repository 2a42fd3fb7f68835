import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { Load } from './load.js';
import { faultSuite, startLocalConsumer, startLocalGateway } from './harness.js';
import { expectExactlyOnce, holdings, ledger, settle } from './ledger.js';

describe('delivery: the spool fills while NATS is down', () => {
  const suite = faultSuite(3);
  const { rig } = suite;

  it('answers 503 with Retry-After and turns unready when full, and loses nothing it answered 2xx', async () => {
    const s = suite.scenario('spoolfull');
    const consumer = await startLocalConsumer(rig, s);
    // Room for about a hundred events.
    const gw = await startLocalGateway(rig, s, { spool: { ...s.raw().spool, maxBytes: '64KB', retryAfter: '1s' } });
    const load = new Load({ url: () => gw.url, prefix: 'spoolfull', rate: 100, max: 2_000 }).start();
    await waitFor('events stored before the outage', async () => (await consumer.store.countEvents({ ename: 'spoolfull' })) >= 100);

    await Promise.all([0, 1, 2].map((i) => suite.cluster.nats.kill(i, 'SIGKILL')));
    const atOutage = load.okCount;
    await waitFor('503s with Retry-After once the spool is full', () => load.tally().retryAfter >= 20, { timeoutMs: 60_000 });
    const unready = await waitFor('/readyz to report the full spool', async () => {
      const r = await gw.readyz();
      return r.status === 503 && r.body.checks?.spool?.status === 'down' ? r : undefined;
    });
    const acceptedInOutage = load.okCount - atOutage;

    await Promise.all([0, 1, 2].map((i) => suite.cluster.nats.restart(i)));
    await waitFor('/readyz to be 200 again', async () => (await gw.readyz()).status === 200, { timeoutMs: 60_000 });
    const atRecovery = load.okCount;
    await waitFor('2xx again after the recovery', () => load.okCount >= atRecovery + 200 || load.finished, { timeoutMs: 60_000 });
    const tally = await load.stop();

    await settle('spool full', gw.pendingRecords, () => suite.cluster.lag(s.stream));
    const result = ledger('spool full (64KB) while NATS is down', tally, await holdings(suite.cluster, s, 'spoolfull'));
    expect(unready.body.ready).toBe(false);
    expect(acceptedInOutage).toBeGreaterThan(0);
    expect(tally.failed.get('503')).toBeGreaterThanOrEqual(20);
    expect(tally.retryAfter).toBe(tally.failed.get('503'));
    expectExactlyOnce(result);
  }, 150_000);
});
