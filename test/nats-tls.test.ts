import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus } from '../src/bus/bus.js';
import { createNatsBus, NatsConnectError } from '../src/bus/nats/index.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createNkeyUser, generateTlsCerts, natsTestConfig, startNatsServer, type NatsHandle, type TlsCerts } from './helpers/nats.js';

const telemetry = () => new Telemetry(createLogger('silent'), { defaultMetrics: false });
const message = (id: string) => ({ id, data: new TextEncoder().encode(id) });

describe('NATS bus over TLS with authentication', () => {
  let dir: string;
  let certs: TlsCerts;
  let passwordServer: NatsHandle;
  let tokenServer: NatsHandle;
  const buses: Bus[] = [];
  let n = 0;
  const make = (server: NatsHandle, fields: Record<string, unknown>) => {
    n += 1;
    const config = natsTestConfig({ servers: server.urls, stream: `TLS_${n}`, subject: `tls${n}.events`, deadLetterSubject: `tls${n}.dead`, ...fields });
    const bus = createNatsBus({ config, telemetry: telemetry() });
    buses.push(bus);
    return bus;
  };
  const startError = (bus: Bus) => bus.start().then(() => undefined, (err: unknown) => err);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-nats-tls-'));
    certs = generateTlsCerts(join(dir, 'certs'));
    passwordServer = await startNatsServer({
      tls: { cert: certs.serverCert, key: certs.serverKey },
      auth: { user: 'gatehouse', pass: 's3cret' },
      clientCa: certs.ca,
    });
    tokenServer = await startNatsServer({
      tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, verify: true },
      auth: { token: 'tok-123' },
      clientCert: { cert: certs.clientCert, key: certs.clientKey },
    });
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await passwordServer?.stop();
    await tokenServer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the CA and user/pass, and publishes', async () => {
    const bus = make(passwordServer, { user: 'gatehouse', pass: 's3cret', tls: { ca: certs.ca } });
    await bus.start();
    await bus.publish([message('over-tls')]);
    expect(await bus.healthcheck()).toMatchObject({ status: 'up' });
  });

  it('fails clearly with a wrong password', async () => {
    const err = await startError(make(passwordServer, { user: 'gatehouse', pass: 'wrong', tls: { ca: certs.ca } }));
    expect(err).toBeInstanceOf(NatsConnectError);
    expect((err as Error).message).toMatch(/authorization/i);
  });

  it('fails clearly when the CA did not sign the server certificate', async () => {
    const err = await startError(make(passwordServer, { user: 'gatehouse', pass: 's3cret', tls: { ca: certs.otherCa } }));
    expect(err).toBeInstanceOf(NatsConnectError);
    expect((err as Error).message).toMatch(/certificate/i);
  });

  it('verifies the server against the system CAs when no CA is configured', async () => {
    const err = await startError(make(passwordServer, { user: 'gatehouse', pass: 's3cret' }));
    expect(err).toBeInstanceOf(NatsConnectError);
    expect((err as Error).message).toMatch(/certificate/i);
  });

  it('connects with a token and a client certificate (mutual TLS)', async () => {
    const bus = make(tokenServer, { token: 'tok-123', tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
    await bus.start();
    await bus.publish([message('mutual-tls')]);
    expect(await bus.healthcheck()).toMatchObject({ status: 'up' });
  });

  it('authenticates with an nkey seed file', async () => {
    const user = createNkeyUser();
    const nkeyServer = await startNatsServer({ tls: { cert: certs.serverCert, key: certs.serverKey }, auth: user, clientCa: certs.ca });
    try {
      const seedFile = join(dir, 'user.nk');
      writeFileSync(seedFile, `${user.seed}\n`);
      const bus = make(nkeyServer, { nkey: seedFile, tls: { ca: certs.ca } });
      await bus.start();
      await bus.publish([message('nkey')]);
      await bus.close();
      const other = join(dir, 'other.nk');
      writeFileSync(other, createNkeyUser().seed);
      const err = await startError(make(nkeyServer, { nkey: other, tls: { ca: certs.ca } }));
      expect(err).toBeInstanceOf(NatsConnectError);
      expect((err as Error).message).toMatch(/authorization/i);
    } finally {
      await nkeyServer.stop();
    }
  });

  it('is refused without a client certificate when the server verifies clients', async () => {
    const err = await startError(make(tokenServer, { token: 'tok-123', tls: { ca: certs.ca }, connectTimeout: '1s' }));
    expect(err).toBeInstanceOf(NatsConnectError);
  });
});
