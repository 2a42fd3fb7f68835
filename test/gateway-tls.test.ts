import { request as httpsRequest } from 'node:https';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as http2Connect } from 'node:http2';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { startPebble, type Pebble } from './helpers/pebble.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';
import { startEcho, type Backend } from './helpers/backends.js';

const NAME = 'shop.gatehouse.internal';
let pebble: Pebble;
let gw: TestGateway;
let root: string;
let httpsPort: number;
let app: Backend;
let early: Server;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function httpsGet(path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, path, servername: NAME, ca: root, headers: { host: NAME } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Plain HTTP with the Host header of the site (fetch does not let a caller set Host). */
function plainGet(path: string, host = NAME): Promise<Reply> {
  const u = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const httpPort = await freePort();
  httpsPort = await freePort();
  pebble = await startPebble({ httpPort });
  await pebble.addARecord(NAME);
  root = await pebble.rootCertificate();
  app = await startEcho('app');
  // Answers at once, before reading the request body.
  early = createServer((_req, res) => res.end('early'));
  await new Promise<void>((resolve) => early.listen(0, '127.0.0.1', resolve));
  gw = await startGateway({
    server: { listen: { host: '127.0.0.1', port: httpPort } },
    proxy: {
      routes: [
        { path: '/app', upstreams: [app.url] },
        { path: '/early', upstreams: [`http://127.0.0.1:${(early.address() as AddressInfo).port}`] },
      ],
    },
    tls: {
      enabled: true,
      listen: { host: '127.0.0.1', port: httpsPort },
      hsts: { enabled: true, maxAge: '1d' },
      acme: {
        enabled: true,
        email: 'ops@gatehouse.internal',
        acceptTermsOfService: true,
        directoryUrl: pebble.directoryUrl,
        caBundle: pebble.caBundlePath,
        domains: [NAME],
        dir: mkdtempSync(join(tmpdir(), 'gatehouse-gw-acme-')),
      },
    },
  });
  // The certificate is ordered in the background once the plain listener is up; wait for a verified handshake.
  await waitFor('a certificate for the configured name', () => httpsGet('/healthz').then((r) => r.status === 200), { timeoutMs: 90_000, intervalMs: 250 });
});

afterAll(async () => {
  await gw?.stop();
  await pebble?.stop();
  await app?.stop();
  early?.closeAllConnections();
  early?.close();
});

describe('the gateway with TLS and ACME (pebble, real HTTP-01)', () => {
  it('serves HTTPS with a chain to the CA root, HSTS, and Secure cookies on tracking', async () => {
    const res = await httpsGet('/tr/v1/?ename=over_tls');
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=86400');
    expect(String(res.headers['set-cookie'])).toContain('; Secure');
    await gw.events(1, { ename: 'over_tls' });
  });

  it('redirects plain HTTP to HTTPS with 308, keeping path and query', async () => {
    const res = await plainGet('/tr/v1/?ename=x&y=1');
    expect(res.status).toBe(308);
    expect(res.headers.location).toBe(`https://${NAME}:${httpsPort}/tr/v1/?ename=x&y=1`);
  });

  it('does not redirect to a Host it has no certificate for (421, no Location)', async () => {
    const res = await plainGet('/tr/v1/?ename=x', 'evil.example');
    expect(res.status).toBe(421);
    expect(res.headers.location).toBeUndefined();
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'MISDIRECTED_REQUEST' } });
  });

  it('answers no challenge for an unknown token', async () => {
    const res = await plainGet('/.well-known/acme-challenge/not-a-pending-token');
    expect(res.status).toBe(404);
  });

  it('speaks HTTP/2 when the client offers it (ALPN)', async () => {
    const session = http2Connect(`https://127.0.0.1:${httpsPort}`, { servername: NAME, ca: root });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':path': '/healthz', ':authority': NAME });
        stream.on('response', (headers) => resolve(Number(headers[':status'])));
        stream.on('error', reject);
        stream.end();
      });
      expect(status).toBe(200);
      expect(session.alpnProtocol).toBe('h2');
    } finally {
      session.close();
    }
  });
  it('proxies over HTTP/2: a GET, and a POST whose body streams to the upstream', async () => {
    const session = http2Connect(`https://127.0.0.1:${httpsPort}`, { servername: NAME, ca: root });
    const exchange = (headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const stream = session.request({ ':authority': NAME, ...headers });
        let status = 0;
        let text = '';
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.on('data', (d: Buffer) => (text += d.toString()));
        stream.on('end', () => resolve({ status, text }));
        stream.on('error', reject);
        stream.end(body);
      });
    try {
      const get = await exchange({ ':path': '/app/page?x=1' });
      expect(get.status).toBe(200);
      expect(JSON.parse(get.text)).toMatchObject({ name: 'app', method: 'GET', url: '/app/page?x=1' });
      const post = await exchange({ ':method': 'POST', ':path': '/app/upload', 'content-type': 'application/json' }, '{"hello":"world"}');
      expect(post.status).toBe(200);
      expect(JSON.parse(post.text)).toMatchObject({ method: 'POST', bodyBytes: 17 });
      // The upstream answers before the body is read: on HTTP/1 the gateway would close the client connection
      // after it; on HTTP/2 (no Connection header there) the answer simply arrives.
      const answered = await exchange({ ':method': 'POST', ':path': '/early/upload', 'content-type': 'application/octet-stream' }, 'x'.repeat(256 * 1024));
      expect(answered).toEqual({ status: 200, text: 'early' });
    } finally {
      session.close();
    }
  });
});
