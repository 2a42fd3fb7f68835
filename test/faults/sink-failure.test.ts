import { describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import type { Sink, ServiceRecord } from '../../src/sinks/sink.js';
import { waitFor } from '../helpers/wait.js';
import { Load } from './load.js';
import { faultSuite, metricValue, startLocalConsumer, startLocalGateway } from './harness.js';
import { holdings, ledger, settle, storedByEid } from './ledger.js';

/** A sink that throws while `failing` is set, and counts how often it refused each event. */
class FlakySink implements Sink {
  failing = false;
  readonly refused = new Map<string, number>();
  constructor(private readonly inner: Sink) {}
  get name() {
    return this.inner.name;
  }
  start() {
    return this.inner.start();
  }
  async write(batch: Parameters<Sink['write']>[0]) {
    if (this.failing) {
      for (const e of batch) this.refused.set(e.eid, (this.refused.get(e.eid) ?? 0) + 1);
      throw new Error('injected sink failure');
    }
    await this.inner.write(batch);
  }
  async writeRecords(batch: readonly ServiceRecord[]) {
    await this.inner.writeRecords?.(batch);
  }
  healthcheck() {
    return this.inner.healthcheck();
  }
  close() {
    return this.inner.close();
  }
}

describe('delivery: the sink fails for a while, and a poison message', () => {
  const suite = faultSuite(3);
  const { rig } = suite;

  it('naks and retries while the sink fails, stores every 2xx event once after, and dead-letters poison', async () => {
    const s = suite.scenario('sinkfail');
    let flaky: FlakySink | undefined;
    const consumer = await startLocalConsumer(rig, s, { wrap: (sink) => (flaky = new FlakySink(sink)) });
    if (!flaky) throw new Error('the sink was not wrapped');
    const sink = flaky;
    const lagGauges = async () => {
      const text = await consumer.telemetry.metrics();
      return { pending: metricValue(text, 'gatehouse_consumer_pending'), ackPending: metricValue(text, 'gatehouse_consumer_ack_pending') };
    };
    const gw = await startLocalGateway(rig, s);
    const load = new Load({ url: () => gw.url, prefix: 'sinkfail', rate: 150, max: 3_000 }).start();
    await waitFor('events stored before the failure', async () => (await consumer.store.countEvents({ ename: 'sinkfail' })) >= 300);

    // A poison message straight onto the event subject, as a misbehaving publisher would send it.
    const js = jetstream(suite.cluster.nc);
    await js.publish(s.subject, new TextEncoder().encode('{"eid": "poison-1", not json'), { msgID: 'poison-sinkfail-1' });

    sink.failing = true;
    // The failure lasts until events were refused on four deliveries (three backoffs) and the unacked backlog
    // shows in the consumer's lag gauge.
    const mostRefused = () => Math.max(0, ...sink.refused.values());
    await waitFor('repeated refusals and a visible backlog', async () => mostRefused() >= 4 && (await lagGauges()).ackPending > 0, {
      timeoutMs: 60_000,
    });
    const unhealthy = await consumer.consumer.healthcheck();
    sink.failing = false;
    const atRecovery = load.okCount;
    await waitFor('load after the recovery', () => load.okCount >= atRecovery + 300 || load.finished, { timeoutMs: 60_000 });
    const tally = await load.stop();

    await settle('sink failure', gw.pendingRecords, () => suite.cluster.lag(s.stream));
    expect(await lagGauges()).toEqual({ pending: 0, ackPending: 0 });
    const result = ledger('sink fails, then recovers', tally, await holdings(suite.cluster, s, 'sinkfail'));
    expect(unhealthy.status).toBe('down');
    expect(result.lost).toEqual([]);
    expect(result.duplicates).toBe(0);
    expect(result.streamed).toBe(result.stored + 1); // the poison message
    expect(result.foreign).toEqual([]);

    const dead = await waitFor('the poison message on the dead-letter subject', () =>
      suite.cluster.jsm.streams.getMessage(s.stream, { last_by_subj: s.deadLetterSubject }),
    );
    expect(new TextDecoder().decode(dead.data)).toBe('{"eid": "poison-1", not json');
    expect(dead.header.get('Gatehouse-Reason')).toBe('event is not valid JSON');
    expect(dead.header.get('Gatehouse-Subject')).toBe(s.subject);
    expect(await storedByEid(s.dbPath, 'poison')).toEqual(new Map());
    expect(metricValue(await consumer.telemetry.metrics(), 'gatehouse_consumer_dead_lettered_total{reason="invalid"}')).toBe(1);
  }, 150_000);
});
