import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/settings/load.js';
import type { Config } from '../src/settings/schema.js';
import { createNatsBus } from '../src/bus/index.js';
import type { Bus } from '../src/bus/bus.js';
import { createConsumer, type Consumer } from '../src/consumer/consumer.js';
import { createDestinations, type Destinations } from '../src/destinations/index.js';
import { createDuckDbStore, type DuckDbStore } from '../src/sinks/duckdb/index.js';
import { createLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { encodeEvent } from '../src/track/codec.js';
import type { TrackEvent } from '../src/track/event.js';
import { replay } from '../src/cli/replay.js';
import { startNatsServer, type NatsHandle } from './helpers/nats.js';
import { startReceiver, type Receiver } from './helpers/receivers.js';
import { waitFor } from './helpers/wait.js';

/**
 * NATS mode (`gatehouse consume`): each destination is its own durable JetStream consumer, so a slow one holds
 * back neither the store nor the others; refused events go to the dead-letter subject; replay reads the stream.
 */

let nats: NatsHandle;
let dir: string;
let config: Readonly<Config>;
let bus: Bus;
let store: DuckDbStore;
let consumer: Consumer;
let destinations: Destinations;
let slow: Receiver;
let quick: Receiver;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-dest-nats-'));
  slow = await startReceiver('webhook', { secret: 'k', path: '/hook' });
  quick = await startReceiver('webhook', { secret: 'k', path: '/hook' });
  const hook = (name: string, r: Receiver) => ({ name, url: `${r.url}/hook`, secret: 'k', batchWait: '10ms', retryMin: '20ms', retryMax: '200ms' });
  config = parseConfig({
    log: { level: 'silent' },
    bus: { kind: 'nats', nats: { servers: nats.urls } },
    spool: { dir: join(dir, 'spool') },
    sinks: { duckdb: { path: join(dir, 'events.duckdb') } },
    consumer: { batchWait: '10ms' },
    destinations: { webhooks: [hook('slow', slow), hook('quick', quick)] },
  });
  const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
  bus = createNatsBus({ config: config.bus.nats, telemetry });
  store = createDuckDbStore({ config: config.sinks.duckdb, telemetry });
  consumer = createConsumer({ config: config.consumer, bus, sinks: [store], telemetry, subject: config.bus.nats.subject });
  destinations = createDestinations({ config, bus, telemetry });
  await store.start();
  await bus.start();
  await consumer.start();
  await destinations.start();
  nc = await connect({ servers: [...nats.urls] });
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  await destinations?.close();
  await consumer?.close();
  await bus?.close();
  await store?.close();
  await nc?.close();
  await Promise.all([slow?.close(), quick?.close()]);
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const publish = async (ename: string, n: number): Promise<string[]> => {
  const events: TrackEvent[] = Array.from({ length: n }, () => ({ eid: randomUUID(), ename, received: new Date().toISOString(), origin: 'server' }));
  await bus.publish(events.map((e) => ({ id: e.eid, data: encodeEvent(e) })));
  return events.map((e) => e.eid);
};

describe('destinations on NATS', () => {
  it('a durable consumer per destination: a slow one holds back neither the store nor the others', async () => {
    const consumers = async () => (await jsm.consumers.list(config.bus.nats.stream).next()).map((c) => c.name).sort();
    await waitFor('three durable consumers', async () => (await consumers()).length === 3);
    expect(await consumers()).toEqual(['gatehouse-dest-quick', 'gatehouse-dest-slow', 'gatehouse-store']);
    const release = slow.hold();
    const ids = await publish('signup', 5);
    await waitFor('stored', async () => (await store.countEvents({ ename: 'signup' })) >= 5);
    await waitFor('the quick destination has them', () => ids.every((id) => quick.acceptedIds().includes(id)));
    expect(slow.acceptedIds()).toEqual([]);
    release();
    await waitFor('the slow destination catches up', () => ids.every((id) => slow.acceptedIds().includes(id)));
    expect(slow.acceptedIds().length).toBe(5);
  });

  it('a refused event goes to the dead-letter subject with the response in its headers', async () => {
    quick.script({ status: 422, body: { error: 'unprocessable: bad field' } });
    const [id] = await publish('refused', 1);
    await waitFor('the dead letter', async () => {
      const info = await jsm.streams.info(config.bus.nats.stream, { subjects_filter: config.bus.nats.deadLetterSubject });
      return (info.state.subjects?.[config.bus.nats.deadLetterSubject] ?? 0) >= 1;
    });
    const dead = await jsm.streams.getMessage(config.bus.nats.stream, { last_by_subj: config.bus.nats.deadLetterSubject });
    expect(dead?.header.get('Nats-Msg-Id')).toBe(`dl-${id}`);
    expect(dead?.header.get('Gatehouse-Reason')).toMatch(/destination quick: HTTP 422: .*unprocessable: bad field/);
    await waitFor('the slow destination still gets it', () => slow.acceptedIds().includes(id as string));
  });

  it('replay reads the stream from a start time with an ephemeral consumer', async () => {
    const before = quick.acceptedIds().length;
    const lines: string[] = [];
    const code = await replay(config, { destination: 'quick', since: '1h' }, { out: (l) => lines.push(l), progress: () => undefined });
    expect(code).toBe(0);
    // No total on NATS: the stream counts messages, and one message may be a pack of several events.
    expect(lines[0]).toBe('replay quick: read 6, sent 6, skipped 0 (rules), failed 0; done');
    expect(quick.acceptedIds().length).toBe(before + 6);
    // The ephemeral consumer is gone or going; no durable was added.
    const names = (await jsm.consumers.list(config.bus.nats.stream).next()).map((c) => c.name);
    expect(names.filter((n) => n.startsWith('gatehouse-'))).toHaveLength(3);
  });
});
