import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createCertificateManager, type CertificateManager } from '../src/tls/cert-manager.js';
import { decodeTlsConfig, type TlsConfig } from '../src/tls/config.js';
import { acmeChallengeToken } from '../src/tls/http-redirect.js';
import { tlsServerOptions } from '../src/tls/server-options.js';
import { AcmeStorage } from '../src/tls/acme-storage.js';
import { counter, pebbleAcme, tlsGet, startPebble, type Pebble } from './helpers/pebble.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';

const NAME = 'test.gatehouse.internal';

interface ChallengeHit {
  token: string;
  host: string | undefined;
  status: number;
  /** What the manager answers for the same (pending) token under a name it does not manage. */
  forOtherHost: string | undefined;
}

describe('ACME issuance against pebble (real HTTP-01)', () => {
  let pebble: Pebble;
  let dir: string;
  let config: TlsConfig;
  let root: string;
  let current: CertificateManager | undefined; // the manager behind the plain-HTTP listener
  const hits: ChallengeHit[] = [];
  const servers: Server[] = [];
  const managers: CertificateManager[] = [];

  // Stands in for the gateway's plain-HTTP listener: answers challenges, nothing else.
  const challengeServer = createHttpServer((req, res) => {
    const token = acmeChallengeToken(new URL(req.url ?? '/', 'http://x').pathname);
    const body = token ? current?.challengeResponse(token, req.headers.host) : undefined;
    const forOtherHost = token ? current?.challengeResponse(token, 'other.gatehouse.internal') : undefined;
    hits.push({ token: token ?? '', host: req.headers.host, status: body ? 200 : 404, forOtherHost });
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/plain' }).end(body ?? 'not found');
  });

  const newManager = (telemetry = newTelemetry(), overrides: Partial<TlsConfig['acme']> = {}) => {
    const manager = createCertificateManager({ config: { ...config, acme: { ...config.acme, ...overrides } }, telemetry });
    managers.push(manager);
    current = manager;
    return manager;
  };

  beforeAll(async () => {
    const httpPort = await freePort();
    await new Promise<void>((resolve) => challengeServer.listen(httpPort, '127.0.0.1', resolve));
    pebble = await startPebble({ httpPort });
    await pebble.addARecord(NAME);
    root = await pebble.rootCertificate();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-acme-'));
    config = decodeTlsConfig({
      enabled: true,
      http2: false,
      acme: {
        ...pebbleAcme(pebble, dir),
        domains: [NAME],
        renewBefore: '10m', // pebble's certificates here live 1h: not due after issuance
      },
    });
  });

  afterAll(async () => {
    for (const manager of managers) await manager.close();
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => challengeServer.close(resolve));
    await pebble?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let first: CertificateManager;
  let httpsPort: number;
  let firstSerial: string;

  it('issues a certificate at start and serves it by SNI with a chain to pebble’s root', async () => {
    const telemetry = newTelemetry();
    first = newManager(telemetry);
    await first.start();
    await first.settled();
    const [entry] = first.list();
    expect(entry).toMatchObject({ name: NAME, source: 'acme' });
    expect(entry?.notAfter.getTime()).toBeGreaterThan(Date.now());
    firstSerial = entry?.serialNumber ?? '';
    expect(await counter(telemetry, 'gatehouse_cert_issued_total', { name: NAME })).toBe(1);
    // Pebble really fetched the key authorization from our listener, under the challenged name.
    expect(hits.some((h) => h.status === 200 && h.host?.startsWith(NAME))).toBe(true);
    expect(await first.healthcheck()).toEqual({ status: 'up', detail: '1 names' });

    const server = createHttpsServer(tlsServerOptions(config, first.sniCallback), (_req, res) => res.end('hello over tls'));
    servers.push(server);
    httpsPort = await freePort();
    await new Promise<void>((resolve) => server.listen(httpsPort, '127.0.0.1', resolve));
    const got = await tlsGet(httpsPort, NAME, root);
    expect(got).toEqual({ body: 'hello over tls', serialNumber: firstSerial });
  });

  it('answers a challenge only while pending, and only for its own name', async () => {
    const answered = hits.filter((h) => h.status === 200);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.every((h) => h.forOtherHost === undefined)).toBe(true);
    // Once the order is done its tokens are forgotten, and unknown tokens never had an answer.
    for (const h of answered) expect(first.challengeResponse(h.token, NAME)).toBeUndefined();
    expect(first.challengeResponse('unknown-token', NAME)).toBeUndefined();
    await expect(first.renewNow('other.gatehouse.internal')).rejects.toMatchObject({ code: 'TLS_NAME_NOT_CONFIGURED' });
  });

  it('renewNow swaps in a new certificate without restarting the listener', async () => {
    const renewed = await first.renewNow(NAME);
    expect(renewed.serialNumber).not.toBe(firstSerial);
    const got = await tlsGet(httpsPort, NAME, root);
    expect(got.serialNumber).toBe(renewed.serialNumber);
    firstSerial = renewed.serialNumber;
  });

  it('reuses the saved account key and certificate after a restart, files mode 0600', async () => {
    await first.close();
    const storage = new AcmeStorage(dir, pebble.directoryUrl);
    const accountKey = await readFile(storage.accountKeyPath, 'utf8');
    const hitsBefore = hits.length;
    const telemetry = newTelemetry();
    const again = newManager(telemetry);
    await again.start();
    await again.settled();
    expect(again.list()[0]?.serialNumber).toBe(firstSerial);
    expect(hits.length).toBe(hitsBefore); // no order, so no validation
    expect(await counter(telemetry, 'gatehouse_cert_issued_total', { name: NAME })).toBe(0);
    expect(await readFile(storage.accountKeyPath, 'utf8')).toBe(accountKey);
    for (const path of [storage.accountKeyPath, storage.certificatePath(NAME)]) {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    }
    await again.close();
  });

  it('renews in the background when less than renewBefore remains', async () => {
    const telemetry = newTelemetry();
    const manager = newManager(telemetry, { renewBefore: 2 * 3_600_000 }); // longer than the 1h lifetime
    await manager.start();
    const renewals = () => counter(telemetry, 'gatehouse_cert_renewed_total', { name: NAME });
    await waitFor('a background renewal', async () => (await renewals()) === 1);
    expect(manager.list()[0]?.serialNumber).not.toBe(firstSerial);
    await manager.close();
  });
});

function newTelemetry(): Telemetry {
  return new Telemetry(createLogger('silent'), { defaultMetrics: false });
}
