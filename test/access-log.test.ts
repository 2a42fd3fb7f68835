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
});
