import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildProxyApp } from './helpers/backends.js';
import { waitFor } from './helpers/wait.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';
import { rewriteLocation } from '../src/proxy/forwarder.js';

// What a proxied request and its response look like on the wire, both sides, through a real upstream.

interface Upstream {
  url: string;
  /** Requests received, with their headers as the upstream saw them. */
  seen: IncomingMessage[];
  /** Requests whose connection closed before the upstream finished its response. */
  aborted: () => number;
  server: Server;
}

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function upstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  const seen: IncomingMessage[] = [];
  let aborted = 0;
  const server = createServer((req, res) => {
    seen.push(req);
    res.on('close', () => {
      if (!res.writableFinished) aborted++;
    });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, aborted: () => aborted, server };
}

async function gateway(proxy: unknown, telemetry?: Telemetry): Promise<FastifyInstance> {
  const app = await buildProxyApp(proxy, { telemetry });
  open.push({ close: () => app.close() });
  return app;
}

async function listening(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}

describe('proxy forwarding', () => {
  it('drops hop-by-hop request headers and those Connection names, and sends the upstream its own Host', async () => {
    const up = await upstream((_req, res) => res.end('ok'));
    const gw = await gateway({ routes: [{ path: '/', upstreams: [up.url] }] });
    const res = await gw.inject({
      url: '/page',
      headers: { host: 'www.example.com', connection: 'keep-alive, X-Secret', 'x-secret': 'hop', 'keep-alive': 'timeout=5', te: 'trailers', 'x-kept': 'end-to-end' },
    });
    expect(res.statusCode).toBe(200);
    const headers = up.seen[0]?.headers ?? {};
    expect(headers['x-secret']).toBeUndefined();
    expect(headers['keep-alive']).toBeUndefined();
    expect(headers.te).toBeUndefined();
    expect(headers['x-kept']).toBe('end-to-end');
    expect(headers.host).toBe(new URL(up.url).host);
    expect(headers['x-forwarded-host']).toBe('www.example.com');
  });

  it("drops the upstream's hop-by-hop response headers and keeps its cookies beside the gateway's headers", async () => {
    const up = await upstream((_req, res) => {
      res.setHeader('connection', 'keep-alive, X-Upstream-Hop');
      res.setHeader('keep-alive', 'timeout=30');
      res.setHeader('x-upstream-hop', 'yes');
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
      res.setHeader('content-type', 'text/plain');
      res.end('body');
    });
    const gw = await gateway({ routes: [{ path: '/', upstreams: [up.url] }] });
    const res = await gw.inject({ url: '/x' });
    expect(res.body).toBe('body');
    expect(res.headers['keep-alive']).toBeUndefined();
    expect(res.headers['x-upstream-hop']).toBeUndefined();
    expect(res.headers.connection).not.toBe('keep-alive, X-Upstream-Hop');
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(res.headers['x-request-id']).toMatch(/\S/);
  });

  it('passes HEAD, 204 and 304 answers through without a body', async () => {
    const up = await upstream((req, res) => {
      if (req.url === '/none') return void res.writeHead(204).end();
      if (req.url === '/same') return void res.writeHead(304, { etag: '"v1"' }).end();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    const gw = await gateway({ routes: [{ path: '/', upstreams: [up.url] }] });
    const head = await gw.inject({ method: 'HEAD', url: '/page' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('5');
    expect(head.body).toBe('');
    expect((await gw.inject({ url: '/none' })).statusCode).toBe(204);
    const same = await gw.inject({ url: '/same', headers: { 'if-none-match': '"v1"' } });
    expect(same.statusCode).toBe(304);
    expect(same.headers.etag).toBe('"v1"');
    expect(same.body).toBe('');
  });

  it('forwards request bodies with a length or chunked', async () => {
    const up = await upstream((req, res) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => res.end(JSON.stringify({ bytes, te: req.headers['transfer-encoding'] ?? null, length: req.headers['content-length'] ?? null })));
    });
    const gw = await gateway({ routes: [{ path: '/', upstreams: [up.url] }] });
    const port = await listening(gw);
    const send = (headers: Record<string, string>, chunks: string[]) =>
      new Promise<{ bytes: number; te: string | null; length: string | null }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/upload', headers }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(JSON.parse(text)));
        });
        req.on('error', reject);
        for (const c of chunks) req.write(c);
        req.end();
      });
    expect(await send({ 'content-type': 'application/json', 'content-length': '13' }, ['{"a":"hello"}'])).toEqual({ bytes: 13, te: null, length: '13' });
    // A text body is streamed like any other: not read whole by Fastify's text/plain parser, nor held to its bodyLimit.
    const mb = 'x'.repeat(1024 * 1024);
    const chunked = await send({ 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }, [mb, mb, 'end']);
    expect(chunked.bytes).toBe(2 * mb.length + 3);
  });

  it('turns a redirect to the rewritten prefix back into the route path, and leaves other locations alone', async () => {
    const up = await upstream((req, res) => {
      const to = req.url === '/v2/old' ? '/v2/new?x=1' : req.url === '/v2/away' ? 'https://elsewhere.example/v2/x' : '/other';
      res.writeHead(302, { location: to }).end();
    });
    const gw = await gateway({ routes: [{ path: '/api', rewritePrefix: '/v2', upstreams: [up.url] }] });
    expect((await gw.inject({ url: '/api/old' })).headers.location).toBe('/api/new?x=1');
    expect((await gw.inject({ url: '/api/away' })).headers.location).toBe('https://elsewhere.example/v2/x');
    expect((await gw.inject({ url: '/api/third' })).headers.location).toBe('/other');
    expect(rewriteLocation('/', { from: '/', to: '/app' })).toBe('/app/');
    expect(rewriteLocation('/v2', { from: '/v2', to: '' })).toBe('/');
    expect(rewriteLocation('/v2x', { from: '/v2', to: '/api' })).toBe('/v2x');
  });

  it('cancels the upstream request when the client goes away mid-response', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1024));
      // Never ends: only the client going away ends it.
    });
    const gw = await gateway({ routes: [{ path: '/', upstreams: [up.url] }] });
    const port = await listening(gw);
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/stream' }, (res) => {
        res.once('data', () => req.destroy());
      });
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      req.end();
    });
    expect(up.seen).toHaveLength(1);
    await waitFor('the upstream to see its request cancelled', () => up.aborted() === 1);
  });

  it('cancels a request the upstream has not answered yet when the client leaves, without blaming the upstream', async () => {
    const up = await upstream(() => undefined);
    const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
    const gw = await gateway({ routes: [{ path: '/', upstreams: [up.url] }] }, telemetry);
    const port = await listening(gw);
    const req = httpRequest({ host: '127.0.0.1', port, path: '/slow' });
    req.on('error', () => undefined);
    req.end();
    await waitFor('the upstream to receive the request', () => up.seen.length === 1);
    req.destroy();
    await waitFor('the upstream to see its request cancelled', () => up.aborted() === 1);
    const metrics = await telemetry.metrics();
    expect(metrics).not.toMatch(/gatehouse_upstream_failed_total\{[^}]*\} [1-9]/);
    expect(metrics).not.toMatch(/gatehouse_upstream_down_total\{[^}]*\} [1-9]/);
  });

  it("cuts the client's response when the upstream dies mid-body", async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
      res.write('partial', () => res.socket?.destroy());
    });
    const gw = await gateway({ routes: [{ path: '/', upstreams: [up.url] }] });
    const port = await listening(gw);
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/cut' }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve(`ended after ${bytes} bytes`));
        res.on('error', () => resolve('cut'));
        res.on('aborted', () => resolve('cut'));
      });
      req.on('error', () => resolve('cut'));
      req.end();
    });
    expect(outcome).toBe('cut');
  });

  it("tells the client to close at the server's maxRequestsPerSocket, whatever the upstream's keep-alive says", async () => {
    const up = await upstream((_req, res) => {
      res.setHeader('connection', 'keep-alive');
      res.end('ok');
    });
    const gw = await gateway({ routes: [{ path: '/', upstreams: [up.url] }] });
    gw.server.maxRequestsPerSocket = 2;
    const port = await listening(gw);
    const replies = await new Promise<string[]>((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' });
      const got: string[] = [];
      let current = '';
      const send = () => socket.write('GET /page HTTP/1.1\r\nHost: x\r\n\r\n');
      socket.on('data', (d: Buffer) => {
        current += d.toString();
        if (!/\r\n\r\nok$/.test(current)) return;
        got.push(current);
        current = '';
        if (got.length < 2) return send();
        socket.destroy();
        resolve(got);
      });
      socket.on('error', reject);
      send();
    });
    expect(replies[0]).toMatch(/^HTTP\/1\.1 200 [^]*connection: keep-alive/i);
    expect(replies[1]).toMatch(/^HTTP\/1\.1 200 [^]*connection: close/i);
  });

  it('records proxied requests in the request metrics', async () => {
    const up = await upstream((_req, res) => res.end('ok'));
    const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
    const gw = await gateway({ routes: [{ path: '/', upstreams: [up.url] }] }, telemetry);
    await gw.inject({ url: '/a' });
    await gw.inject({ url: '/b' });
    expect(await telemetry.metrics()).toContain('gatehouse_http_requests_total{listener="main",class="proxy",status="200"} 2');
  });
});
