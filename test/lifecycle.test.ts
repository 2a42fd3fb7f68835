import { readFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import { spawnCli, writeConfig, exited } from './helpers/cli.js';
import { freePort } from './helpers/net.js';
import { startNatsServer } from './helpers/nats.js';
import { waitFor } from './helpers/wait.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function startServe(extra: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const { path, dir } = writeConfig({
    server: { listen: { host: '127.0.0.1', port }, workers: 1, shutdownTimeout: '20s' },
    admin: { listen: { port: adminPort } },
    log: { level: 'warn' },
    spool: { dir: join('${DIR}', 'spool') },
    sinks: { duckdb: { path: join('${DIR}', 'db.duckdb') } },
    ...extra,
  });
  const child = spawnCli(['serve', '--config', path], { DIR: dir, ...env });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  await waitFor('the gateway to answer /healthz', async () => {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stderr}`);
    return (await fetch(`${base}/healthz`).catch(() => undefined))?.status === 200;
  });
  return { child, base, dir, admin: `http://127.0.0.1:${adminPort}`, stderr: () => stderr };
}

/** A POST whose headers the server has parsed (it answered 100 Continue) but whose body is not sent yet. */
async function heldRequest(base: string, body: string): Promise<{ req: ClientRequest; response: Promise<IncomingMessage> }> {
  const u = new URL(`${base}/tr/v1/`);
  const req = httpRequest({
    host: u.hostname,
    port: u.port,
    path: u.pathname,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  await new Promise<void>((resolve) => req.once('continue', () => resolve()));
  return { req, response };
}

/** Whether a process has DuckDB's native library mapped (~20 MB of RSS once loaded). */
function mapsDuckDb(child: ChildProcess): boolean {
  return readFileSync(`/proc/${child.pid}/maps`, 'utf8').includes('libduckdb');
}

describe('serve lifecycle (a real child process)', () => {
  it('answers /healthz and /readyz, and metrics on the admin listener', async () => {
    const { base, admin } = await startServe();
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, phase: 'running', checks: { bus: { status: 'up' }, spool: { status: 'up' } } });
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toContain('gatehouse_http_requests_total{listener="main",class="ops",status="200"}');
    const res = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    expect((await fetch(`${base}/healthz`)).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('with a NATS bus the gateway never loads DuckDB (the consumer stores events); embedded, it does', async () => {
    const nats = await startNatsServer();
    try {
      const viaNats = await startServe({ bus: { kind: 'nats', nats: { servers: nats.urls } } });
      // The admin API answers (its modules are loaded) without a store in this mode.
      expect((await fetch(`${viaNats.admin}/admin/export?format=csv`)).status).toBeGreaterThanOrEqual(400);
      expect(mapsDuckDb(viaNats.child)).toBe(false);
      const embedded = await startServe();
      expect(mapsDuckDb(embedded.child)).toBe(true);
    } finally {
      await nats.stop();
    }
  });

  it('without a proxy route the gateway never loads undici or @fastify/http-proxy; with one, it does', async () => {
    // Node's module loader logs every file it loads (NODE_DEBUG=module), on stderr.
    const loads = (stderr: string, pkg: string) => stderr.includes(`node_modules/${pkg}/`);
    const plain = await startServe({}, { NODE_DEBUG: 'module' });
    expect((await fetch(`${plain.base}/img/v1/?ename=lazy`)).status).toBe(200);
    expect(loads(plain.stderr(), 'undici')).toBe(false);
    expect(loads(plain.stderr(), '@fastify/http-proxy')).toBe(false);
    const proxied = await startServe({ proxy: { routes: [{ path: '/app/', upstreams: [`http://127.0.0.1:${await freePort()}`] }] } }, { NODE_DEBUG: 'module' });
    expect((await fetch(`${proxied.base}/app/x`)).status).toBe(502);
    expect(loads(proxied.stderr(), 'undici')).toBe(true);
    expect(loads(proxied.stderr(), '@fastify/http-proxy')).toBe(true);
  });

  it('SIGTERM: an in-flight request completes, its event is stored, and the process exits 0', async () => {
    const { child, base, dir } = await startServe();
    const body = JSON.stringify({ ename: 'in_flight_at_sigterm', eid: 'sigterm-event-01' });
    const { req, response } = await heldRequest(base, body);
    child.kill('SIGTERM');
    // Readiness turns false at once: load balancers stop sending before the listener closes.
    await waitFor('/readyz to report not ready', async () => {
      const r = await fetch(`${base}/readyz`).catch(() => undefined);
      return r === undefined || r.status === 503;
    });
    req.end(body);
    const res = await response;
    const text = await new Promise<string>((resolve) => {
      let s = '';
      res.on('data', (d: Buffer) => (s += d.toString()));
      res.on('end', () => resolve(s));
    });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(text)).toEqual({ ok: true, ids: ['sigterm-event-01'] });
    expect(await exited(child)).toEqual({ code: 0, signal: null });

    const db = await DuckDBInstance.create(join(dir, 'db.duckdb'));
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll("select count(*) from events where eid = 'sigterm-event-01'")).getRows();
    expect(Number(rows[0]?.[0])).toBe(1);
    conn.closeSync();
  });

  it('SIGTERM: a request pipelined behind an in-flight one gets 503 SHUTTING_DOWN and Connection: close, and is not stored', async () => {
    const { child, base, dir } = await startServe();
    const post = (eid: string, expect100 = false) => {
      const body = JSON.stringify({ ename: 'pipelined', eid });
      const head = [`POST /tr/v1/ HTTP/1.1`, `Host: 127.0.0.1`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`];
      return { head: `${[...head, ...(expect100 ? ['Expect: 100-continue'] : [])].join('\r\n')}\r\n\r\n`, body };
    };
    const first = post('before-sigterm-01', true);
    const second = post('after-sigterm-02');
    const socket = connect({ host: '127.0.0.1', port: Number(new URL(base).port) });
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(first.head);
    await waitFor('100 Continue (the first request is in flight)', () => received.includes('100 Continue'));
    child.kill('SIGTERM');
    await waitFor('shutdown to begin', async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status !== 200);
    // The first request's body and, pipelined behind it on the same connection, a whole second request.
    socket.write(first.body + second.head + second.body);
    await closed;
    const responses = received.split(/(?=HTTP\/1\.1 )/).filter((r) => !r.startsWith('HTTP/1.1 100'));
    expect(responses).toHaveLength(2);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(responses[0]).toContain('"ids":["before-sigterm-01"]');
    expect(responses[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(responses[1]).toMatch(/^connection: close\r$/im);
    expect(responses[1]).toMatch(/^retry-after: 1\r$/im);
    expect(responses[1]).toContain('"code":"SHUTTING_DOWN"');
    expect(await exited(child)).toEqual({ code: 0, signal: null });

    const db = await DuckDBInstance.create(join(dir, 'db.duckdb'));
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll("select eid from events where ename = 'pipelined' order by eid")).getRows();
    expect(rows.map((r) => r[0])).toEqual(['before-sigterm-01']);
    conn.closeSync();
  });

  it('a second signal exits at once, even with a request still held', async () => {
    const { child, base } = await startServe();
    const { response } = await heldRequest(base, '{}');
    const held = response.then(() => 'answered', (err: NodeJS.ErrnoException) => err.code);
    child.kill('SIGTERM');
    await waitFor('shutdown to begin', async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status !== 200);
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 130, signal: null });
    // The held request was cut, not answered: the process did not wait for it.
    expect(await held).toBe('ECONNRESET');
  });
});
