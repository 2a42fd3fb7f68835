import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createCertificateManager, type CertificateManager } from '../src/tls/cert-manager.js';
import { decodeTlsConfig } from '../src/tls/config.js';
import { acmeChallengeToken } from '../src/tls/http-redirect.js';
import { tlsServerOptions } from '../src/tls/server-options.js';
import { counter, pebbleAcme, startPebble, tlsGet, type Pebble } from './helpers/pebble.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';

const ALLOWED = 'shop.customer-one.test';

describe('on-demand TLS against pebble (real HTTP-01)', () => {
  let pebble: Pebble;
  let root: string;
  const dirs: string[] = [];
  const servers: Server[] = [];
  const managers: CertificateManager[] = [];
  let current: CertificateManager | undefined;
  /** Names the operator's ask endpoint allows, and every name it was asked about. */
  const allowed = new Set<string>();
  const asked: string[] = [];
  let askUrl: string;

  const listen = async (server: Server) => {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };

  /** A started manager with on-demand TLS behind a real HTTPS listener; returns its port and metrics. */
  const start = async (onDemand: Record<string, unknown> = {}) => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-ondemand-'));
    dirs.push(dir);
    const config = decodeTlsConfig({
      enabled: true,
      http2: false,
      acme: {
        ...pebbleAcme(pebble, dir),
        renewBefore: '10m',
        onDemand: { enabled: true, ask: `${askUrl}?token=operator-side`, handshakeWait: '60s', ...onDemand },
      },
    });
    const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
    const manager = createCertificateManager({ config, telemetry });
    managers.push(manager);
    current = manager;
    await manager.start();
    const port = await listen(createHttpsServer(tlsServerOptions(config, manager.sniCallback), (_req, res) => res.end('hello')));
    const count = (metric: string, labels: Record<string, string> = {}) => counter(telemetry, metric, labels);
    return { manager, port, count, orders: () => count('gatehouse_tls_on_demand_ordered_total') };
  };

  beforeAll(async () => {
    // Stands in for the gateway's plain-HTTP listener: answers challenges, nothing else.
    const httpPort = await freePort();
    const challenges = createHttpServer((req, res) => {
      const token = acmeChallengeToken(new URL(req.url ?? '/', 'http://x').pathname);
      const body = token ? current?.challengeResponse(token, req.headers.host) : undefined;
      res.writeHead(body ? 200 : 404, { 'content-type': 'text/plain' }).end(body ?? 'not found');
    });
    servers.push(challenges);
    await new Promise<void>((resolve) => challenges.listen(httpPort, '127.0.0.1', resolve));
    // The operator's ask endpoint (Caddy's contract): 200 for its customers' domains, 404 for anything else.
    const ask = createHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const domain = url.searchParams.get('domain') ?? '';
      asked.push(domain);
      res.writeHead(url.searchParams.get('token') === 'operator-side' && allowed.has(domain) ? 200 : 404).end();
    });
    askUrl = `http://127.0.0.1:${await listen(ask)}/allowed`;
    pebble = await startPebble({ httpPort });
    root = await pebble.rootCertificate();
  });

  afterAll(async () => {
    for (const manager of managers) await manager.close();
    for (const server of servers) {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
    await pebble?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('obtains a certificate at the first handshake for an allowed name, once', async () => {
    const gw = await start();
    allowed.add(ALLOWED);
    await pebble.addARecord(ALLOWED);
    const got = await tlsGet(gw.port, ALLOWED, root);
    expect(got.body).toBe('hello');
    expect(gw.manager.list()).toMatchObject([{ name: ALLOWED, source: 'acme', serialNumber: got.serialNumber }]);
    expect(await gw.orders()).toBe(1);
    expect(await gw.count('gatehouse_cert_issued_total', { name: ALLOWED })).toBe(1);
    // Later handshakes are served from the store: no ask, no order.
    const askedBefore = asked.length;
    expect((await tlsGet(gw.port, ALLOWED, root)).serialNumber).toBe(got.serialNumber);
    expect(asked.length).toBe(askedBefore);
    expect(await gw.orders()).toBe(1);

    // A refused name: the handshake fails, nothing is ordered, and the refusal is remembered.
    const refused = 'not-a-customer.test';
    await expect(tlsGet(gw.port, refused, root)).rejects.toThrow();
    await expect(tlsGet(gw.port, refused, root)).rejects.toThrow();
    expect(asked.filter((n) => n === refused)).toHaveLength(1);
    expect(await gw.count('gatehouse_tls_on_demand_refused_total', { reason: 'ask' })).toBe(1);
    expect(await gw.count('gatehouse_tls_on_demand_refused_total', { reason: 'cached' })).toBe(1);
    expect(await gw.orders()).toBe(1);
    expect(gw.manager.list().map((l) => l.name)).toEqual([ALLOWED]);
  });

  it('a flood of random SNI names places no order and asks once per name', async () => {
    const gw = await start();
    const askedBefore = asked.length;
    const names = Array.from({ length: 150 }, (_, i) => `r${i}-${Math.random().toString(36).slice(2, 10)}.flood.test`);
    // Each name three times, 30 handshakes at a time.
    const attempts = [...names, ...names, ...names];
    let failed = 0;
    for (let i = 0; i < attempts.length; i += 30) {
      const batch = await Promise.allSettled(attempts.slice(i, i + 30).map((n) => tlsGet(gw.port, n, root)));
      failed += batch.filter((r) => r.status === 'rejected').length;
    }
    expect(failed).toBe(attempts.length);
    expect(asked.length - askedBefore).toBe(names.length);
    expect(await gw.orders()).toBe(0);
    expect(gw.manager.list()).toEqual([]);
    // Names that are not host names are refused without asking.
    await expect(tlsGet(gw.port, 'not_a_host.flood.test', root)).rejects.toThrow();
    expect(asked.length - askedBefore).toBe(names.length);
    expect(await gw.count('gatehouse_tls_on_demand_refused_total', { reason: 'invalid' })).toBe(1);
  });

  it('caps orders per window, and a handshake that outwaits handshakeWait fails cleanly while the order goes on', async () => {
    const gw = await start({ maxOrders: 1, ordersWindow: '1h', handshakeWait: '1ms' });
    const [first, second] = ['one.customer-two.test', 'two.customer-two.test'];
    for (const name of [first, second]) {
      allowed.add(name);
      await pebble.addARecord(name);
    }
    await expect(tlsGet(gw.port, first, root)).rejects.toThrow();
    await waitFor('the order to finish in the background', () => gw.manager.list().some((l) => l.name === first));
    expect((await tlsGet(gw.port, first, root)).body).toBe('hello');
    // The second allowed name finds the window full: refused, not ordered.
    await expect(tlsGet(gw.port, second, root)).rejects.toThrow();
    await waitFor('the rate refusal', async () => (await gw.count('gatehouse_tls_on_demand_refused_total', { reason: 'rate' })) === 1);
    expect(await gw.orders()).toBe(1);
    expect(gw.manager.list().map((l) => l.name)).toEqual([first]);
  });
});
