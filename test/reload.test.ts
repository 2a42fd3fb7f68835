import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { connect } from 'node:tls';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfigFile } from '../src/settings/load.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createGateway, type Gateway } from '../src/gateway/gateway.js';
import type { DuckDbStore } from '../src/sinks/duckdb/index.js';
import { startControlled, startEcho, startWsEcho, ws, type Backend, type ControlledBackend, type WsSocket } from './helpers/backends.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';

const NAME = 'reload.gatehouse.internal';
const RELOADS = 20;

let dir: string;
let configPath: string;
let gateway: Gateway;
let store: DuckDbStore;
let admin: string;
let httpsPort: number;
let blue: Backend;
let green: Backend;
let held: ControlledBackend;
let wsEcho: Backend;
let ca: Buffer;
const serials: Record<'a' | 'b', string> = { a: '', b: '' };
// Keep-alive connections: they carry requests across every reload.
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function call(path: string, init: { method?: string; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: httpsPort,
        servername: NAME,
        ca,
        agent,
        path,
        method: init.method ?? 'GET',
        headers: { host: NAME, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The serial number of the certificate a new TLS connection is served. */
function servedSerial(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: httpsPort, servername: NAME, ca }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.on('error', reject);
  });
}

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** The config of reload `i`: its own route, upstream, static limit and certificate. */
function configOf(i: number, ports: { http: number; admin: number }): Record<string, unknown> {
  const cert = i % 2 === 0 ? 'a' : 'b';
  return {
    server: { listen: { host: '127.0.0.1', port: ports.http }, shutdownTimeout: '5s' },
    admin: { listen: { host: '127.0.0.1', port: ports.admin } },
    log: { level: 'silent' },
    spool: { dir: join(dir, 'spool') },
    sinks: { duckdb: { path: join(dir, 'events.duckdb') } },
    consumer: { batchWait: '10ms' },
    static: { root: join(dir, 'www') },
    tls: {
      enabled: true,
      listen: { host: '127.0.0.1', port: httpsPort },
      certificates: [{ names: [NAME], cert: join(dir, `${cert}.pem`), key: join(dir, `${cert}.key`) }],
    },
    proxy: {
      routes: [
        { path: '/app', upstreams: [(i % 2 === 0 ? blue : green).url] },
        { path: `/v${i}`, upstreams: [blue.url] },
        { path: '/held', upstreams: [held.url] },
        { path: '/live', upstreams: [wsEcho.url] },
      ],
    },
    rateLimit: {
      rules: {
        tracking: { points: 0 },
        proxy: { points: 0 },
        // Every other config limits static files to one request an hour per client; the others do not limit them.
        static: i % 2 === 0 ? { points: 1, burst: 0, duration: '1h' } : { points: 0 },
      },
    },
  };
}

let ports: { http: number; admin: number };

async function reload(): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${admin}/admin/config/reload`, { method: 'POST' });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function readyHash(): Promise<string> {
  const res = await call('/readyz');
  return (JSON.parse(res.body) as { config: { hash: string } }).config.hash;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-reload-'));
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'index.html'), '<p>static</p>');
  const file = (n: string) => join(dir, n);
  const newKey = (key: string) => ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key];
  openssl('req', '-x509', ...newKey(file('ca.key')), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=Gatehouse Reload Test CA');
  for (const c of ['a', 'b'] as const) {
    openssl('req', '-x509', '-CA', file('ca.pem'), '-CAkey', file('ca.key'), ...newKey(file(`${c}.key`)), '-out', file(`${c}.pem`), '-days', '1',
      '-subj', `/CN=${NAME}`, '-addext', `subjectAltName=DNS:${NAME}`);
    serials[c] = execFileSync('openssl', ['x509', '-in', file(`${c}.pem`), '-noout', '-serial'], { encoding: 'utf8' }).trim().replace('serial=', '');
  }
  ca = readFileSync(file('ca.pem'));
  [blue, green, held, wsEcho] = await Promise.all([startEcho('blue'), startEcho('green'), startControlled('held'), startWsEcho()]);
  httpsPort = await freePort();
  ports = { http: await freePort(), admin: await freePort() };
  configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(configOf(0, ports)));
  const { config, hash } = readConfigFile(configPath);
  gateway = await createGateway(config, { logger: createLogger('silent'), version: 'test', configFile: configPath, configHash: hash });
  admin = (await gateway.start()).admin ?? '';
  store = gateway.stores.duckdb as DuckDbStore;
}, 60_000);

afterAll(async () => {
  agent.destroy();
  await gateway?.shutdown();
  await blue?.stop();
  await green?.stop();
  await held?.stop();
  await wsEcho?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('config reload under load', () => {
  it(`applies ${RELOADS} reloads (routes, upstreams, limits, certificates) with zero failed requests and every 2xx event stored once`, async () => {
    const accepted = new Set<string>();
    const failures: string[] = [];
    let proxied = 0;
    let running = true;
    // Tracking POSTs and proxied requests, on keep-alive connections, for as long as the reloads go on.
    const loop = async (kind: 'track' | 'proxy') => {
      while (running) {
        try {
          if (kind === 'track') {
            const eid = randomUUID();
            const res = await call('/tr/v1/', { method: 'POST', body: JSON.stringify({ ename: 'reload_load', eid }) });
            if (res.status === 200) accepted.add(eid);
            else failures.push(`track ${res.status} ${res.body}`);
          } else {
            const res = await call('/app/x');
            if (res.status === 200) proxied++;
            else failures.push(`proxy ${res.status} ${res.body}`);
          }
        } catch (err) {
          failures.push(`${kind}: ${(err as Error).message}`);
        }
      }
    };
    const load = [loop('track'), loop('track'), loop('proxy'), loop('proxy')];

    let previousHash = await readyHash();
    for (let i = 1; i <= RELOADS; i++) {
      writeFileSync(configPath, JSON.stringify(configOf(i, ports)));
      const result = await reload();
      expect(result.status, JSON.stringify(result.body)).toBe(200);
      expect(result.body.changed).toEqual(expect.arrayContaining(['/proxy/routes', '/tls/certificates', '/rateLimit/rules/static/points']));
      // The new behaviour is there as soon as the reload has answered.
      expect(result.body.hash).not.toBe(previousHash);
      expect(await readyHash()).toBe(result.body.hash);
      previousHash = result.body.hash as string;
      // First, as a path no route claims falls through to the static files (and so counts against their limit).
      const statics = [await call('/index.html'), await call('/index.html')].map((r) => r.status);
      expect(statics).toEqual(i % 2 === 0 ? [200, 429] : [200, 200]);
      const app = JSON.parse((await call('/app/x')).body) as { name: string };
      expect(app.name).toBe(i % 2 === 0 ? 'blue' : 'green');
      expect((await call(`/v${i}/y`)).status).toBe(200);
      // The previous config's route is gone: the path falls through to the static files (whose limit, in the
      // configs that have one, the two requests above have spent).
      expect((await call(`/v${i - 1}/y`)).status).toBe(i % 2 === 0 ? 429 : 404);
      expect(await servedSerial()).toBe(i % 2 === 0 ? serials.a : serials.b);
    }
    running = false;
    await Promise.all(load);

    expect(failures).toEqual([]);
    console.info(`reload under load: ${accepted.size} events and ${proxied} proxied requests answered across ${RELOADS} reloads`);
    expect(accepted.size).toBeGreaterThan(RELOADS);
    expect(proxied).toBeGreaterThan(RELOADS);
    // Every answered event is in the store, once (and nothing that was not answered 2xx).
    await waitFor(`${accepted.size} events in the store`, async () => (await store.countEvents({ ename: 'reload_load' })) >= accepted.size);
    const stored = await store.queryEvents({ ename: 'reload_load', limit: 10_000 });
    expect(stored.length).toBe(accepted.size);
    expect(new Set(stored.map((e) => e.eid))).toEqual(accepted);
  }, 120_000);

  it('refuses a broken file and a key that cannot change live, naming it; nothing changes', async () => {
    const hash = await readyHash();
    const before = JSON.parse((await call('/app/x')).body) as { name: string };

    writeFileSync(configPath, JSON.stringify({ ...configOf(RELOADS + 1, ports), proxy: { routes: [{ path: 'no-slash', upstreams: [] }] }, bogus: true }));
    const invalid = await reload();
    expect(invalid.status).toBe(422);
    const error = invalid.body.error as { code: string; message: string; issues: { path: string }[] };
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['/bogus', '/proxy/routes/0/path']));

    writeFileSync(configPath, '{ "server": ');
    expect((await reload()).status).toBe(422);

    const frozen = { ...configOf(RELOADS + 1, ports), spool: { dir: join(dir, 'elsewhere') } };
    writeFileSync(configPath, JSON.stringify(frozen));
    const refused = await reload();
    expect(refused.status).toBe(409);
    expect((refused.body.error as { code: string; message: string }).code).toBe('CONFIG_RELOAD_REFUSED');
    expect((refused.body.error as { keys: string[] }).keys).toEqual(['/spool/dir']);

    // Still the config of the last good reload.
    expect(await readyHash()).toBe(hash);
    expect((JSON.parse((await call('/app/x')).body) as { name: string }).name).toBe(before.name);
    expect((await call(`/v${RELOADS}/y`)).status).toBe(200);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toContain(`gatehouse_config_info{hash="${hash}"} 1`);
    expect(metrics).toMatch(/gatehouse_config_reloaded_total \d+/);
    expect(metrics).toContain('gatehouse_config_reload_failed_total{reason="invalid"} 2');
    expect(metrics).toContain('gatehouse_config_reload_failed_total{reason="refused"} 1');
  }, 60_000);

  it("keeps the memory store's counts across a reload that leaves a limit's window as it was", async () => {
    // The last good config limits static files to one an hour per client, which the first test spent.
    expect((await call('/index.html')).status).toBe(429);
    writeFileSync(configPath, JSON.stringify(configOf(RELOADS + 2, ports)));
    expect((await reload()).status).toBe(200);
    // Another config, the same limit: still spent (a reload is no way around a limit).
    expect((await call('/index.html')).status).toBe(429);
    // A higher limit over the same window applies to the count so far.
    const rules = { tracking: { points: 0 }, proxy: { points: 0 }, static: { points: 100, burst: 0, duration: '1h' } };
    writeFileSync(configPath, JSON.stringify({ ...configOf(RELOADS + 2, ports), rateLimit: { rules } }));
    expect((await reload()).status).toBe(200);
    expect((await call('/index.html')).status).toBe(200);
  });

  it('lets a request in flight finish on the config it started on, while new requests get the new one', async () => {
    held.hold = true;
    const hitsBefore = held.hits();
    const inFlight = call('/held/slow');
    await waitFor('the held request to reach its upstream', () => held.hits() > hitsBefore);
    // The next config drops the route the request is on and sends /app elsewhere.
    const next = configOf(RELOADS + 1, ports) as { proxy: { routes: { path: string }[] } };
    next.proxy.routes = next.proxy.routes.filter((r) => r.path !== '/held');
    writeFileSync(configPath, JSON.stringify(next));
    expect((await reload()).status).toBe(200);
    expect((JSON.parse((await call('/app/x')).body) as { name: string }).name).toBe('green');
    expect((await call('/held/new')).status).toBe(404);
    const upstreams = (await (await fetch(`${admin}/admin/upstreams`)).json()) as { upstreams: { route: string }[] };
    expect(new Set(upstreams.upstreams.map((u) => u.route))).toEqual(new Set(['*/app', `*/v${RELOADS + 1}`, '*/live']));
    held.release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.body) as { name: string }).name).toBe('held');
  }, 60_000);

  it('keeps a proxied WebSocket working across a reload until the old config is retired, then closes it', async () => {
    const open = (): { socket: WsSocket; messages: string[] } => {
      const socket = new ws.WebSocket(`wss://127.0.0.1:${httpsPort}/live/socket`, { headers: { host: NAME }, ca, servername: NAME } as never);
      const messages: string[] = [];
      socket.on('message', (data) => messages.push(data.toString()));
      return { socket, messages };
    };
    const first = open();
    await waitFor('the WebSocket handshake through the gateway', () => first.messages.length > 0);
    const closed = new Promise<void>((resolve) => first.socket.once('close', resolve));
    writeFileSync(configPath, JSON.stringify(configOf(RELOADS + 2, ports)));
    const reloadedAt = Date.now();
    expect((await reload()).status).toBe(200);
    first.socket.send('after the reload');
    await waitFor('the echo on the old connection', () => first.messages.includes('after the reload'));
    // The old app is retired at server.shutdownTimeout (5 s here), taking its WebSockets with it.
    await closed;
    expect(Date.now() - reloadedAt).toBeGreaterThanOrEqual(4_000);
    const second = open();
    await waitFor('a new WebSocket on the new config', () => second.messages.length > 0);
    second.socket.close();
  }, 60_000);
});
