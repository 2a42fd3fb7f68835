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
  consumer = createConsumer({ config: config.consumer, bus, sinks: stores.sinks, telemetry, subject: config.bus.nats.subject });
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
});
