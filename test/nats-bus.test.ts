import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { BusUnavailableError, type Bus, type BusMessage, type Delivery } from '../src/bus/bus.js';
import { createNatsBus, NatsConfigError, NatsConnectError, StreamConfigError } from '../src/bus/nats/index.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';
import { natsTestConfig, startNatsServer, type NatsHandle } from './helpers/nats.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';

const telemetry = () => new Telemetry(createLogger('silent'), { defaultMetrics: false });
const batch = (prefix: string, n: number): BusMessage[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, data: new TextEncoder().encode(`${prefix}-${i}`) }));

describe('NATS bus on one node', () => {
  let nats: NatsHandle;
  let jsm: JetStreamManager;
  let closeAdmin: () => Promise<void>;
  const buses: Bus[] = [];
  let n = 0;
  const config = (fields: Record<string, unknown> = {}) => {
    n += 1;
    return natsTestConfig({ servers: nats.urls, stream: `ONE_${n}`, subject: `one${n}.events`, deadLetterSubject: `one${n}.dead`, ...fields });
  };
  const make = (fields: Record<string, unknown> = {}, t = telemetry()) => {
    const bus = createNatsBus({ config: config(fields), telemetry: t });
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    const nc = await connect({ servers: [...nats.urls] });
    jsm = await jetstreamManager(nc);
    closeAdmin = () => nc.close();
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await closeAdmin?.();
    await nats?.stop();
  });

  it('creates the stream from the config', async () => {
    const bus = make({ maxAge: '1h', duplicateWindow: '30s' });
    await bus.start();
    const info = await jsm.streams.info(`ONE_${n}`);
    expect(info.config).toMatchObject({
      subjects: [`one${n}.events`, `one${n}.dead`],
      storage: StorageType.File,
      num_replicas: 1,
      max_age: 3_600 * 1e9,
      duplicate_window: 30 * 1e9,
    });
    expect(await bus.healthcheck()).toMatchObject({ status: 'up' });
  });

  it('updates what JetStream can change in place', async () => {
    await jsm.streams.add({ name: `ONE_${n + 1}`, subjects: [`one${n + 1}.events`, 'extra.subject'], max_age: 60 * 1e9 });
    const bus = make({ maxAge: '2h' });
    await bus.start();
    const info = await jsm.streams.info(`ONE_${n}`);
    expect(info.config.max_age).toBe(7_200 * 1e9);
    expect(info.config.subjects.sort()).toEqual([`one${n}.dead`, `one${n}.events`, 'extra.subject'].sort());
  });

  it('refuses a stream whose storage differs, naming the difference', async () => {
    await jsm.streams.add({ name: `ONE_${n + 1}`, subjects: [`one${n + 1}.events`], storage: StorageType.Memory });
    const bus = make();
    const err = await bus.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamConfigError);
    expect((err as StreamConfigError).code).toBe('NATS_STREAM_CONFIG');
    expect((err as Error).message).toMatch(/storage is memory, config wants file/);
  });

  it('fails start clearly when no server answers', async () => {
    const port = await freePort();
    const bus = createNatsBus({
      config: natsTestConfig({ servers: [`nats://127.0.0.1:${port}`], connectTimeout: '1s' }),
      telemetry: telemetry(),
    });
    buses.push(bus);
    const err = await bus.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NatsConnectError);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('rejects unusable auth and TLS settings when built', () => {
    const build = (fields: Record<string, unknown>) => () =>
      createNatsBus({ config: natsTestConfig({ servers: nats.urls, ...fields }), telemetry: telemetry() });
    expect(build({ token: 't', user: 'u', pass: 'p' })).toThrow(NatsConfigError);
    expect(build({ tls: { ca: join(nats.dir, 'missing-ca.pem') } })).toThrow(/bus\.nats\.tls\.ca: cannot read .*ENOENT/);
    expect(build({ creds: join(nats.dir, 'none.creds') })).toThrow(/bus\.nats\.creds/);
  });

  it('rejects publish before start and subscribe before start', async () => {
    const bus = make();
    await expect(bus.publish(batch('early', 1))).rejects.toBeInstanceOf(BusUnavailableError);
    expect(() => bus.subscribe({ durable: 'd', batchSize: 1, batchWaitMs: 10, maxDeliver: 1 }, async () => {})).toThrow(
      BusUnavailableError,
    );
  });

  it('sends a batch as packs cut at the marks, and stores a republished batch once', async () => {
    const bus = make();
    await bus.start();
    const stream = `ONE_${n}`;
    const runs = batch('dup', 20).map((m, i) => ({ ...m, packEnd: i % 5 === 4 }));
    await bus.publish(runs);
    await bus.publish(runs);
    expect((await jsm.streams.info(stream)).state.messages).toBe(4);
    const first = await waitFor('the first pack', () => jsm.streams.getMessage(stream, { seq: 1 }));
    expect(first.header.get('Nats-Msg-Id')).toBe('dup-0+5');
    expect(JSON.parse(first.header.get('Gatehouse-Ids'))).toEqual(['dup-0', 'dup-1', 'dup-2', 'dup-3', 'dup-4']);
    expect(first.string()).toBe('dup-0\ndup-1\ndup-2\ndup-3\ndup-4');
    const got: string[] = [];
    const sub = bus.subscribe({ durable: 'store', batchSize: 7, batchWaitMs: 10, maxDeliver: 1 }, async (deliveries) => {
      got.push(...deliveries.map((d) => `${d.id}=${new TextDecoder().decode(d.data)}`));
      await Promise.all(deliveries.map((d) => d.ack()));
    });
    await waitFor('every event', () => got.length >= 20);
    expect(got).toEqual(runs.map((m) => `${m.id}=${m.id}`));
    await waitFor('every pack acked', async () => (await jsm.consumers.info(stream, 'store')).num_ack_pending === 0);
    await sub.close();
  });

  it('stores once what an earlier process published, when told where it may lie, past the duplicate window', async () => {
    const shared = config({ duplicateWindow: '1s' });
    const stream = `ONE_${n}`;
    const open = async () => {
      const bus = createNatsBus({ config: shared, telemetry: telemetry() });
      buses.push(bus);
      await bus.start();
      return bus;
    };
    const messages = () => jsm.streams.info(stream).then((i) => i.state.messages);
    const earlier = await open();
    await earlier.publish(batch('other', 3)); // the stream does not start empty
    const floor = earlier.sequence?.();
    expect(floor).toBe(1);
    const sent = batch('sent', 10).map((m, i) => ({ ...m, packEnd: i % 5 === 4 }));
    await earlier.publish(sent);
    expect(earlier.sequence?.()).toBe(3);
    await earlier.close();
    expect(earlier.sequence?.()).toBeUndefined();
    const closedAt = Date.now();
    await waitFor('the duplicate window to pass', () => Date.now() - closedAt > 1_500);

    // The restarted process: the records it replays (two packs stored above, one new) and what the spool saved.
    const restarted = await open();
    expect(restarted.sequence?.()).toBe(3);
    const replay = [...sent, ...batch('new', 5).map((m, i) => ({ ...m, packEnd: i === 4 }))];
    await restarted.publish(replay.slice(0, 10), { storedAfter: floor as number });
    await restarted.publish(replay.slice(10), { storedAfter: floor as number });
    expect(await messages()).toBe(4);
    // Without it the window no longer protects: the same packs are stored again.
    const unaware = await open();
    await unaware.publish(sent);
    expect(await messages()).toBe(6);
  });

  it('dead-letters one event of a pack alone and acks the pack once the rest is settled', async () => {
    const bus = make();
    await bus.start();
    const stream = `ONE_${n}`;
    const acked: string[] = [];
    const sub = bus.subscribe({ durable: 'store', batchSize: 10, batchWaitMs: 10, maxDeliver: 1 }, async (deliveries) => {
      for (const d of deliveries) {
        if (d.id === 'mixed-1') await d.deadLetter('schema: bad');
        else {
          acked.push(d.id);
          await d.ack();
        }
      }
    });
    await bus.publish(batch('mixed', 3));
    const dead = await waitFor('the dead letter', () => jsm.streams.getMessage(stream, { last_by_subj: `one${n}.dead` }));
    expect(dead.header.get('Nats-Msg-Id')).toBe('dl-mixed-1');
    expect(dead.string()).toBe('mixed-1');
    await waitFor('the pack acked', async () => (await jsm.consumers.info(stream, 'store')).num_ack_pending === 0);
    expect(acked).toEqual(['mixed-0', 'mixed-2']);
    await sub.close();
  });

  it('redelivers the whole pack when one of its events is nak\'d', async () => {
    const bus = make();
    await bus.start();
    const seen: string[] = [];
    const sub = bus.subscribe({ durable: 'store', batchSize: 10, batchWaitMs: 10, maxDeliver: 5 }, async (deliveries) => {
      for (const d of deliveries) {
        seen.push(`${d.id}#${d.deliveries}`);
        if (d.id === 'retry-2' && d.deliveries === 1) d.nak(0);
        else await d.ack();
      }
    });
    await bus.publish(batch('retry', 3));
    await waitFor('the second delivery', () => seen.length >= 6);
    expect(seen).toEqual(['retry-0#1', 'retry-1#1', 'retry-2#1', 'retry-0#2', 'retry-1#2', 'retry-2#2']);
    await sub.close();
  });

  it('rejects a publish that no stream stores, without waiting for the ack timeout', async () => {
    const bus = make();
    await bus.start();
    await jsm.streams.delete(`ONE_${n}`);
    const err = (await bus.publish(batch('nostream', 3)).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(BusUnavailableError);
    // The reason is the server's no-responders status, not the PubAck timeout ("no PubAck within ...").
    expect(err.message).toMatch(/^3 of 3 messages not acknowledged by JetStream: no JetStream stream stores subject one\d+\.events/);
  });

  it('rejects a publish stored by another stream, naming it', async () => {
    const bus = make();
    await bus.start();
    await jsm.streams.delete(`ONE_${n}`);
    await jsm.streams.add({ name: `THIEF_${n}`, subjects: [`one${n}.events`] });
    await expect(bus.publish(batch('stolen', 2))).rejects.toThrow(`is stored by stream THIEF_${n}, not ONE_${n}`);
  });

  it('dead-letters with the documented headers and settles the original', async () => {
    const bus = make();
    await bus.start();
    const stream = `ONE_${n}`;
    const sub = bus.subscribe({ durable: 'store', batchSize: 5, batchWaitMs: 10, maxDeliver: 1 }, async (deliveries) => {
      for (const d of deliveries) await d.deadLetter('schema: missing eid');
    });
    await bus.publish(batch('poison', 1));
    const dead = await waitFor('the dead letter', () => jsm.streams.getMessage(stream, { last_by_subj: `one${n}.dead` }));
    expect(dead.header.get('Nats-Msg-Id')).toBe('dl-poison-0');
    expect(dead.header.get('Gatehouse-Reason')).toBe('schema: missing eid');
    expect(dead.header.get('Gatehouse-Deliveries')).toBe('1');
    expect(dead.header.get('Gatehouse-Subject')).toBe(`one${n}.events`);
    await waitFor('the original to be acked', async () => (await jsm.consumers.info(stream, 'store')).num_ack_pending === 0);
    await sub.close();
  });

  it('brings an existing durable consumer in line with the subscription', async () => {
    const bus = make();
    await bus.start();
    const stream = `ONE_${n}`;
    const first = bus.subscribe({ durable: 'store', batchSize: 5, batchWaitMs: 10, maxDeliver: 1 }, async () => {});
    await waitFor('the consumer', () => jsm.consumers.info(stream, 'store').catch(() => undefined));
    await first.close();
    expect((await jsm.consumers.info(stream, 'store')).config.ack_wait).toBe(30_000_000_000);
    const second = bus.subscribe({ durable: 'store', batchSize: 1_000, batchWaitMs: 10, maxDeliver: 1, ackWaitMs: 4_000 }, async () => {});
    await waitFor('max_ack_pending raised', async () => (await jsm.consumers.info(stream, 'store')).config.max_ack_pending === 8_000);
    expect((await jsm.consumers.info(stream, 'store')).config.ack_wait).toBe(4_000_000_000);
    await second.close();
  });

  it('delivers again what a subscriber left unacked once its ackWaitMs has passed', async () => {
    const bus = make();
    await bus.start();
    const seen: number[] = [];
    const sub = bus.subscribe({ durable: 'store', batchSize: 5, batchWaitMs: 10, maxDeliver: 5, ackWaitMs: 1_000 }, async (deliveries) => {
      for (const d of deliveries) {
        seen.push(d.deliveries);
        if (d.deliveries > 1) await d.ack();
      }
    });
    await bus.publish(batch('unacked', 1));
    // Without the setting the second delivery would come after the default 30 s, past this wait.
    await waitFor('the second delivery', () => seen.includes(2), { timeoutMs: 15_000 });
    await sub.close();
  });

  // Last: it stops and restarts the server.
  it('keeps consuming across a server restart, and reports the outage', async () => {
    const t = telemetry();
    const bus = make({}, t);
    await bus.start();
    const got = new Set<string>();
    const sub = bus.subscribe({ durable: 'store', batchSize: 20, batchWaitMs: 20, maxDeliver: 5 }, async (deliveries: Delivery[]) => {
      for (const d of deliveries) got.add(d.id);
      await Promise.all(deliveries.map((d) => d.ack()));
    });
    await bus.publish(batch('before', 10));
    await waitFor('the first messages', () => got.size === 10);

    await nats.kill(0);
    await waitFor('health to report the outage', async () => (await bus.healthcheck()).status === 'down');
    await expect(bus.publish(batch('during', 1))).rejects.toBeInstanceOf(BusUnavailableError);

    await nats.restart(0);
    // The caller (the spool's forwarder) retries until the bus takes the batch again.
    await waitFor('a publish after the restart', () => bus.publish(batch('after', 10)).then(() => true), { timeoutMs: 60_000 });
    await waitFor('every message consumed', () => got.size === 20, { timeoutMs: 60_000 });
    expect([...got].filter((id) => id.startsWith('during'))).toEqual([]);
    expect((await bus.healthcheck()).status).toBe('up');
    const metrics = await t.metrics();
    expect(metrics).toMatch(/gatehouse_nats_disconnected_total\{server="[^"]+"\} [1-9]/);
    expect(metrics).toMatch(/gatehouse_nats_reconnected_total\{server="[^"]+"\} [1-9]/);
    expect(metrics).toMatch(/gatehouse_bus_publish_failed_total\{bus="nats"\} [1-9]/);
    await sub.close();
  });
});
