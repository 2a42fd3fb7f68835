import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { parseConfig } from '../src/settings/load.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createGateway, type Gateway } from '../src/gateway/gateway.js';
import { startNatsServer, type NatsHandle } from './helpers/nats.js';
import { waitFor } from './helpers/wait.js';

let nats: NatsHandle;
let gateway: Gateway;
let url: string;
let dir: string;

beforeAll(async () => {
  nats = await startNatsServer();
  await nats.kill(0); // NATS is down before the gateway starts
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-natsdown-'));
  const config = parseConfig(
    {
      server: { listen: { host: '127.0.0.1', port: 0 } },
      admin: { enabled: false },
      log: { level: 'silent' },
      bus: { kind: 'nats', nats: { servers: nats.urls, connectTimeout: '500ms' } },
      spool: { dir: join(dir, 'spool') },
    },
    'test',
    {},
  );
  gateway = await createGateway(config, { logger: createLogger('silent'), version: 'test' });
  url = (await gateway.start()).main;
});

afterAll(async () => {
  await gateway?.shutdown();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a gateway started while NATS is down', () => {
  it('serves from its spool, reports not ready, and forwards once NATS is back', async () => {
    const res = await fetch(`${url}/tr/v1/`, { method: 'POST', body: JSON.stringify({ ename: 'while_down', eid: 'spooled-while-down-1' }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: { bus: { status: string } } }).checks.bus.status).toBe('down');

    await nats.restart(0);
    await waitFor('/readyz to report ready', async () => (await fetch(`${url}/readyz`)).status === 200);
    const nc = await connect(nats.clientOptions());
    try {
      const jsm = await jetstreamManager(nc);
      await waitFor('the spooled event in the stream', async () => (await jsm.streams.info('GATEHOUSE')).state.messages === 1);
      const msg = await jsm.streams.getMessage('GATEHOUSE', { seq: 1 });
      expect(msg?.header?.get('Nats-Msg-Id')).toBe('spooled-while-down-1');
    } finally {
      await nc.close();
    }
  });
});
