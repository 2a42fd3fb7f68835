import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { parseConfig } from '../src/settings/load.js';
import { createLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createBus, type Bus } from '../src/bus/index.js';
import { buildStores } from '../src/gateway/stores.js';
import { createConsumer, type Consumer } from '../src/consumer/consumer.js';
import type { DuckDbStore } from '../src/sinks/duckdb/index.js';
import { startNatsServer, type NatsHandle } from './helpers/nats.js';
import { waitFor } from './helpers/wait.js';

let nats: NatsHandle;
let nc: NatsConnection;
let bus: Bus;
let consumer: Consumer;
let store: DuckDbStore;
let dir: string;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-svc-'));
  const config = parseConfig(
    {
      bus: { kind: 'nats', nats: { servers: nats.urls, serviceSubjects: ['tic.log.>', 'tic.count.>', 'tic.update.>'] } },
      consumer: { batchWait: '20ms', maxDeliver: 2, retryBackoff: '100ms', serviceSubjects: { enabled: true } },
      sinks: { duckdb: { path: join(dir, 'svc.duckdb') } },
    },
    'test',
    {},
  );
  const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
  bus = createBus({ config: config.bus, telemetry });
  const stores = await buildStores(config, telemetry);
  store = stores.duckdb as DuckDbStore;
  consumer = createConsumer({ config: config.consumer, bus, sinks: stores.sinks, telemetry, subject: config.bus.nats.subject, maxMessageBytes: config.spool.maxEventSize });
  await store.start();
  await bus.start();
  await consumer.start();
  nc = await connect(nats.clientOptions());
});

afterAll(async () => {
  await nc?.close();
  await consumer?.close();
  await bus?.close();
  await store?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const send = (subject: string, body: unknown, id?: string) =>
  jetstream(nc).publish(subject, JSON.stringify(body), id ? { msgID: id } : undefined);

describe('service messages (logs, counters, updates from other services)', () => {
  it('are stored in their tables, once per record id', async () => {
    await send('tic.log.web', { id: 'log-1', level: 'warn', msg: 'slow checkout', fields: { ms: 1200 } });
    await send('tic.log.web', { id: 'log-2', msg: 'cache cleared' });
    await send('tic.count.signups', { id: 'count-1', name: 'signups', by: 3, key: 'eu' });
    await send('tic.update.users', { id: 'upd-1', table: 'users', key: 'u-1', values: { plan: 'pro' } });
    // The same record again (a producer's retry): stored once.
    await send('tic.log.web', { id: 'log-1', level: 'warn', msg: 'slow checkout', fields: { ms: 1200 } });
    await waitFor('the records in DuckDB', async () =>
      (await store.countRecords('log')) === 2 && (await store.countRecords('count')) === 1 && (await store.countRecords('update')) === 1,
    );
  });

  it('places a record without its own time when the stream stored it (the same on a redelivery)', async () => {
    const ack = await send('tic.log.web', { id: 'log-timeless', msg: 'no time given' });
    const stored = await (await jetstreamManager(nc)).streams.getMessage('GATEHOUSE', { seq: ack.seq });
    const row = await waitFor('the timeless log', async () => (await store.readRecords('log')).find((r) => r.id === 'log-timeless'));
    expect(row.time).toBe(stored!.time.toISOString());
  });

  it('an invalid message goes to the dead-letter subject with the reason, and the rest keeps flowing', async () => {
    await send('tic.count.bad', { id: 'count-bad', name: 'x', by: 1.5 });
    await send('tic.count.good', { id: 'count-2', name: 'orders' });
    await waitFor('the valid counter', async () => (await store.countRecords('count')) === 2);
    const jsm = await jetstreamManager(nc);
    const dead = await waitFor('a dead letter', async () => {
      const msg = await jsm.streams.getMessage('GATEHOUSE', { last_by_subj: 'gatehouse.dead' }).catch(() => undefined);
      return msg;
    });
    expect(dead.header?.get('Gatehouse-Reason')).toBe('"by" must be an integer');
  });

  it('a message larger than spool.maxEventSize, an event or a record, is dead-lettered, and the store keeps storing', async () => {
    // No gateway of this config accepts such an event; another producer (or a gateway with a larger limit) can
    // publish one, and a store must not be handed what it cannot hold (docs/input-limits.md, "Event size").
    const jsm = await jetstreamManager(nc);
    const deadCount = async () => (await jsm.streams.info('GATEHOUSE', { subjects_filter: 'gatehouse.dead' })).state.subjects?.['gatehouse.dead'] ?? 0;
    const before = await deadCount();
    const big = 'b'.repeat(100_000);
    await send('gatehouse.events', { eid: 'too-large-event', received: new Date().toISOString(), origin: 'server', ename: 'x', raw: big });
    await send('tic.log.big', { id: 'log-too-large', msg: big });
    await send('tic.log.web', { id: 'log-after-large', msg: 'still flowing' });
    await waitFor('the next log', async () => (await store.readRecords('log')).some((r) => r.id === 'log-after-large'));
    await waitFor('two dead letters', async () => (await deadCount()) >= before + 2);
    const reasons: string[] = [];
    const { state } = await jsm.streams.info('GATEHOUSE');
    for (let seq = state.last_seq; seq > 0 && reasons.length < 2; seq--) {
      const m = await jsm.streams.getMessage('GATEHOUSE', { seq }).catch(() => null);
      if (m?.subject === 'gatehouse.dead') reasons.push(m.header?.get('Gatehouse-Reason') ?? '');
    }
    for (const r of reasons) expect(r).toMatch(/^message is \d+ bytes, more than spool.maxEventSize \(96000\): too large to store$/);
    expect(await store.countEvents()).toBe(0);
    expect((await store.readRecords('log')).some((r) => r.id === 'log-too-large')).toBe(false);
  });
});

describe("the upstream tracker's producers (its wire format, published as it does: core NATS, no message id)", () => {
  const publish = async (subject: string, body: unknown) => {
    nc.publish(subject, JSON.stringify(body));
    await nc.flush();
  };
  const rowsOf = async (kind: 'log' | 'count' | 'update', subject: string, n: number) =>
    waitFor(`${n} ${kind} records on ${subject}`, async () => {
      const rows = (await store.readRecords(kind)).filter((r) => r.subject === subject);
      return rows.length >= n ? rows : undefined;
    });

  it('counts: the name is the id, else the subject; each message is one increment', async () => {
    await publish('tic.count.upstream', {});
    await publish('tic.count.upstream', {});
    await publish('tic.count.upstream', { id: 'vids_created' });
    const rows = await rowsOf('count', 'tic.count.upstream', 3);
    expect(rows.map((r) => [r.name, r.amount]).sort()).toEqual([
      ['tic.count.upstream', 1],
      ['tic.count.upstream', 1],
      ['vids_created', 1],
    ]);
  });

  it('updates {id?, updated?, msg}: the row key is the id (else the subject), the time is `updated` (epoch ms)', async () => {
    await publish('tic.update.upstream', { id: 'job-7', updated: '1539102052702', msg: 'done' });
    await publish('tic.update.upstream', { msg: { state: 'running' } });
    const rows = await rowsOf('update', 'tic.update.upstream', 2);
    expect(rows).toContainEqual(expect.objectContaining({ table_name: 'tic.update.upstream', row_key: 'job-7', time: '2018-10-09T16:20:52.702Z' }));
    expect(rows.map((r) => JSON.parse(String(r.row_values)) as unknown)).toEqual(expect.arrayContaining([{ msg: 'done' }, { msg: { state: 'running' } }]));
    expect(rows).toContainEqual(expect.objectContaining({ row_key: 'tic.update.upstream' }));
  });

  it('logs keep the numeric level and the upstream fields; two logs with the same upstream id are two records', async () => {
    const log = { id: 'checkout', name: 'api', host: 'node-1', hostname: 'api.example', owner: 'ops', ip: '10.0.0.5', level: 3, msg: 'slow', ltimenss: '1200000', params: '{"ms":"1200"}' };
    await publish('tic.log.upstream', log);
    await publish('tic.log.upstream', { ...log, msg: 'slower' });
    const rows = await rowsOf('log', 'tic.log.upstream', 2);
    expect(rows.map((r) => r.msg).sort()).toEqual(['slow', 'slower']);
    expect(rows[0]).toMatchObject({ level: '3' });
    expect(JSON.parse(String(rows[0]?.fields))).toEqual({
      id: 'checkout', topic: 'checkout', name: 'api', host: 'node-1', hostname: 'api.example', owner: 'ops', ip: '10.0.0.5', level: 3, ltimenss: '1200000', params: { ms: '1200' },
    });
  });

  it('an upstream update without msg is dead-lettered with the reason', async () => {
    await publish('tic.update.broken', { id: 'x' });
    const jsm = await jetstreamManager(nc);
    const dead = await waitFor('the dead letter', async () => {
      const msg = await jsm.streams.getMessage('GATEHOUSE', { last_by_subj: 'gatehouse.dead' }).catch(() => undefined);
      return msg?.header?.get('Gatehouse-Reason')?.includes('msg') ? msg : undefined;
    });
    expect(dead.header?.get('Gatehouse-Reason')).toMatch(/update needs "msg"/);
  });
});
