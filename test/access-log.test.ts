import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/settings/load.js';
import { createGateway, type Gateway } from '../src/gateway/gateway.js';
import { createLogger } from '../src/telemetry/logger.js';
import { waitFor } from './helpers/wait.js';

describe('log.access', () => {
  const lines: Array<Record<string, unknown>> = [];
  let dir: string;
  let backend: Server;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-access-'));
    backend = createServer((_req, res) => {
      res.writeHead(418, { 'content-type': 'text/plain', 'content-length': '6' });
      res.end('teapot');
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    const config = parseConfig(
      {
        server: { listen: { host: '127.0.0.1', port: 0 } },
        admin: { listen: { host: '127.0.0.1', port: 0 } },
        log: { level: 'warn', access: true },
        enrich: { ip: 'truncate' },
        spool: { dir: join(dir, 'spool') },
        sinks: { duckdb: { path: join(dir, 'events.duckdb') } },
        proxy: { routes: [{ path: '/up/', upstreams: [upstream] }] },
      },
      'test',
      process.env,
    );
    const stream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
    gateway = await createGateway(config, { logger: createLogger('warn', stream), version: 'test' });
    url = (await gateway.start()).main;
  });

  afterAll(async () => {
    await gateway?.shutdown();
    await new Promise((resolve) => backend?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a line per request, at level warn too: no query string, the client IP as enrich.ip stores it', async () => {
    const pixel = await fetch(`${url}/img/v1/?uid=reader-1&email=reader%40example.com`);
    await pixel.arrayBuffer();
    const proxied = await fetch(`${url}/up/tea?token=s3cret`);
    expect([proxied.status, await proxied.text()]).toEqual([418, 'teapot']);
    const missing = await fetch(`${url}/no/such/file.txt`);
    await missing.arrayBuffer();

    const access = await waitFor('three access lines', () => {
      const found = lines.filter((l) => l.event === 'access');
      return found.length >= 3 ? found : undefined;
    });
    expect(access[0]).toMatchObject({
      reqId: pixel.headers.get('x-request-id'),
      method: 'GET',
      path: '/img/v1/',
      status: 200,
      bytes: Number(pixel.headers.get('content-length')),
      route: 'pixel',
      ip: '127.0.0.0',
    });
    expect(typeof access[0]?.ms).toBe('number');
    // Tracing is off: no trace id.
    expect(access[0]).not.toHaveProperty('traceId');
    // A proxied answer is written straight to the socket: its status and length come from there.
    expect(access[1]).toMatchObject({ path: '/up/tea', status: 418, bytes: 6, route: 'proxy', ip: '127.0.0.0' });
    expect(access[2]).toMatchObject({ path: '/no/such/file.txt', status: 404 });
    const text = JSON.stringify(access);
    expect(text).not.toContain('reader');
    expect(text).not.toContain('s3cret');
    expect(access.map((l) => l.ip)).toEqual(['127.0.0.0', '127.0.0.0', '127.0.0.0']);
    // The level still governs every other line.
    expect(lines.some((l) => l.level === 30 && l.event !== 'access')).toBe(false);
  });

  it('logs the route, and REST-tuple values of personal identifiers redacted', async () => {
    const before = lines.length;
    const paths = [
      '/tr/v1/ename/signup/email/victim%40example.com/uname/victim-user',
      '/img/v1/cell/%2B15550109999/vid/v-1',
      '/tr/v1/%65mail/second%40example.com/ename/x/',
      '/rdr/v1/phone/5550101234/Username/UserName2?url=https%3A%2F%2Fexample.com%2F',
    ];
    for (const path of paths) await (await fetch(url + path, { redirect: 'manual' })).arrayBuffer();
    const access = await waitFor('four more access lines', () => {
      const found = lines.slice(before).filter((l) => l.event === 'access');
      return found.length >= 4 ? found : undefined;
    });
    expect(access[0]).toMatchObject({ path: '/tr/v1/ename/signup/email/[redacted]/uname/[redacted]', pattern: '/tr/v1/*', route: 'tracking' });
    expect(access[1]).toMatchObject({ path: '/img/v1/cell/[redacted]/vid/v-1', route: 'pixel' });
    expect(access[2]).toMatchObject({ path: '/tr/v1/%65mail/[redacted]/ename/x/' });
    expect(access[3]).toMatchObject({ path: '/rdr/v1/phone/[redacted]/Username/[redacted]' });
    const text = JSON.stringify(access);
    for (const pii of ['victim', '5550109999', 'second', '5550101234', 'UserName2']) expect(text).not.toContain(pii);
  });
});

describe('log.access with tracing on', () => {
  it('writes the trace id of each request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-access-trace-'));
    const lines: Array<Record<string, unknown>> = [];
    const config = parseConfig(
      {
        server: { listen: { host: '127.0.0.1', port: 0 } },
        admin: { enabled: false },
        log: { level: 'warn', access: 'json' },
        spool: { dir: join(dir, 'spool') },
        sinks: { duckdb: { path: join(dir, 'events.duckdb') } },
        // No collector listens there: the exports fail (and are logged), which is not what is looked at here.
        tracing: { enabled: true, endpoint: 'http://127.0.0.1:9/v1/traces', exportTimeout: '1s' },
      },
      'test',
      process.env,
    );
    const stream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
    const gateway = await createGateway(config, { logger: createLogger('warn', stream), version: 'test' });
    try {
      const url = (await gateway.start()).main;
      const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
      await (await fetch(`${url}/img/v1/`, { headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01` } })).arrayBuffer();
      await (await fetch(`${url}/img/v1/`)).arrayBuffer();
      const access = await waitFor('two access lines', () => {
        const found = lines.filter((l) => l.event === 'access');
        return found.length >= 2 ? found : undefined;
      });
      expect(access[0]?.traceId).toBe(trace);
      expect(access[1]?.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(access[1]?.traceId).not.toBe(trace);
    } finally {
      await gateway.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('log.access: "combined" and "common"', () => {
  // The formats as log tools parse them (GoAccess' COMBINED, fail2ban's apache/nginx filters).
  const COMBINED = /^(\S+) (\S+) (\S+) \[(\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "(\S+) (\S+) (HTTP\/[\d.]+)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$/;
  const COMMON = /^(\S+) (\S+) (\S+) \[(\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "(\S+) (\S+) (HTTP\/[\d.]+)" (\d{3}) (\d+|-)$/;
  let dir: string;

  const start = async (format: 'combined' | 'common', lines: string[], level: 'warn' | 'info' = 'warn') => {
    const config = parseConfig(
      {
        server: { listen: { host: '127.0.0.1', port: 0 } },
        admin: { enabled: false },
        log: { level, access: format },
        enrich: { ip: 'truncate' },
        spool: { dir: join(dir, format, 'spool') },
        sinks: { duckdb: { path: join(dir, format, 'events.duckdb') } },
      },
      'test',
      process.env,
    );
    const stream = { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)) };
    const gateway = await createGateway(config, { logger: createLogger(level, stream), version: 'test' });
    return { gateway, url: (await gateway.start()).main };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-access-clf-'));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes Apache/nginx combined lines: client IP as enrich.ip stores it, no query strings, no identifiers', async () => {
    const lines: string[] = [];
    const { gateway, url } = await start('combined', lines);
    try {
      const pixel = await fetch(`${url}/img/v1/?uid=reader-1&email=reader%40example.com`, {
        headers: { referer: 'https://mail.example/inbox?session=s3cret', 'user-agent': 'Mozilla/5.0 "quoted" agent' },
      });
      await pixel.arrayBuffer();
      await (await fetch(`${url}/tr/v1/email/victim%40example.com/ename/signup`)).arrayBuffer();
      await (await fetch(`${url}/no/such/file.txt`)).arrayBuffer();
      const access = await waitFor('three access lines', () => (lines.length >= 3 ? lines.slice(0, 3) : undefined));
      const parsed = access.map((l) => COMBINED.exec(l));
      expect(parsed.every(Boolean), access.join('\n')).toBe(true);
      const [p, t, missing] = parsed as [RegExpExecArray, RegExpExecArray, RegExpExecArray];
      expect(p.slice(1, 4)).toEqual(['127.0.0.0', '-', '-']);
      expect(p.slice(5, 10)).toEqual(['GET', '/img/v1/', 'HTTP/1.1', '200', pixel.headers.get('content-length')]);
      expect(p[10]).toBe('https://mail.example/inbox');
      expect(p[11]).toBe('Mozilla/5.0 \\x22quoted\\x22 agent');
      expect(t[6]).toBe('/tr/v1/email/[redacted]/ename/signup');
      expect(missing[8]).toBe('404');
      // Today's date, in UTC.
      const now = new Date();
      expect(p[4]).toContain(`/${now.getUTCFullYear()}:`);
      expect(p[4]).toMatch(/ \+0000$/);
      const text = lines.join('\n');
      for (const secret of ['reader', 'victim', 's3cret']) expect(text).not.toContain(secret);
    } finally {
      await gateway.shutdown();
    }
  });

  it('writes common lines, and the other logs stay JSON on the same stream', async () => {
    const lines: string[] = [];
    const { gateway, url } = await start('common', lines, 'info');
    try {
      await (await fetch(`${url}/img/v1/`)).arrayBuffer();
      const [line] = await waitFor('an access line', () => {
        const found = lines.filter((l) => !l.startsWith('{'));
        return found.length > 0 ? found : undefined;
      });
      expect(line).toMatch(COMMON);
      expect(COMMON.exec(line!)?.slice(5, 9)).toEqual(['GET', '/img/v1/', 'HTTP/1.1', '200']);
    } finally {
      await gateway.shutdown();
    }
    // The gateway's own lines ("started", "stopped") are JSON as before; only access lines are text.
    const logs = lines.filter((x) => !COMMON.test(x)).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.map((l) => l.event)).toEqual(expect.arrayContaining(['started', 'shutdownFinished']));
  });
});
