import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildProxyApp, startEcho, startSlow, type Backend } from './helpers/backends.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';

interface Echo {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
}

const started: { stop(): Promise<unknown> }[] = [];
const track = <T extends Backend>(b: T) => (started.push(b), b);
const backend = async (name: string, port?: number) => track(await startEcho(name, port));
const app = async (proxy: unknown, telemetry?: Telemetry) => {
  const a: FastifyInstance = await buildProxyApp(proxy, { telemetry });
  started.push({ stop: () => a.close() });
  return a;
};

afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.stop();
});

describe('proxy routing', () => {
  it('forwards by path prefix, keeping the path, with the query', async () => {
    const api = await backend('api');
    const gw = await app({ routes: [{ path: '/api', upstreams: [api.url] }] });
    const res = await gw.inject({ url: '/api/users?x=1' });
    expect(res.statusCode).toBe(200);
    expect(res.json<Echo>()).toMatchObject({ name: 'api', url: '/api/users?x=1', method: 'GET' });
    expect((await gw.inject({ url: '/elsewhere' })).statusCode).toBe(404);
  });

  it('rewrites the prefix', async () => {
    const api = await backend('api');
    const gw = await app({ routes: [{ path: '/api', rewritePrefix: '/v2', upstreams: [api.url] }] });
    expect((await gw.inject({ url: '/api/users' })).json<Echo>().url).toBe('/v2/users');
    const stripped = await app({ routes: [{ path: '/api/', rewritePrefix: '/', upstreams: [api.url] }] });
    expect((await stripped.inject({ url: '/api/users' })).json<Echo>().url).toBe('/users');
  });

  it('routes by exact and wildcard host, a host route winning over a hostless one', async () => {
    const [a, b, c] = [await backend('a'), await backend('b'), await backend('c')];
    const gw = await app({
      routes: [
        { host: 'app.example.com', path: '/', upstreams: [a.url] },
        { host: '*.example.com', path: '/', upstreams: [b.url] },
        { path: '/', upstreams: [c.url] },
      ],
    });
    const name = async (host: string) => (await gw.inject({ url: '/x', headers: { host } })).json<Echo>().name;
    expect(await name('app.example.com')).toBe('a');
    expect(await name('APP.example.com:8080')).toBe('a');
    expect(await name('shop.example.com')).toBe('b');
    expect(await name('deep.shop.example.com')).toBe('c');
    expect(await name('other.org')).toBe('c');
  });

  it('never captures a tracking path with a catch-all proxy', async () => {
    const site = await backend('site');
    const gw = await app({ routes: [{ path: '/', upstreams: [site.url] }, { host: 'example.com', path: '/', upstreams: [site.url] }] });
    for (const host of ['localhost', 'example.com']) {
      expect((await gw.inject({ url: '/tr/v1/event', headers: { host } })).json()).toEqual({ tracked: true });
      expect((await gw.inject({ url: '/page', headers: { host } })).json<Echo>().name).toBe('site');
    }
    expect(site.hits()).toBe(2);
    // A method the tracking route does not have is refused, not sent to the site.
    expect((await gw.inject({ method: 'PUT', url: '/tr/v1/event', payload: 'x' })).statusCode).toBe(404);
    expect(site.hits()).toBe(2);
  });
});

describe('forwarding headers', () => {
  it('extends the chain of a trusted proxy and passes the request id', async () => {
    const api = await backend('api');
    const gw = await app({ routes: [{ path: '/', upstreams: [api.url] }] });
    const res = await gw.inject({
      url: '/',
      remoteAddress: '10.0.0.5',
      headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example', 'x-request-id': 'req-42' },
    });
    const { headers } = res.json<Echo>();
    expect(headers['x-forwarded-for']).toBe('203.0.113.7, 10.0.0.5');
    expect(headers['x-forwarded-proto']).toBe('https');
    expect(headers['x-forwarded-host']).toBe('shop.example');
    expect(headers['x-request-id']).toBe('req-42');
    expect(res.headers['x-request-id']).toBe('req-42');
  });

  it('replaces what an untrusted peer claims', async () => {
    const api = await backend('api');
    const gw = await app({ routes: [{ path: '/', upstreams: [api.url] }] });
    const res = await gw.inject({
      url: '/',
      remoteAddress: '198.51.100.9',
      headers: { host: 'site.example', 'x-forwarded-for': '1.1.1.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil', forwarded: 'for=1.1.1.1' },
    });
    const { headers } = res.json<Echo>();
    expect(headers['x-forwarded-for']).toBe('198.51.100.9');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe('site.example');
    expect(headers.forwarded).toBeUndefined();
    expect(headers['x-request-id']).toBe(res.headers['x-request-id']);
  });
});

describe('upstream pool', () => {
  it('spreads requests round-robin', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const gw = await app({ routes: [{ path: '/', upstreams: [a.url, b.url] }] });
    const names = [];
    for (let i = 0; i < 4; i++) names.push((await gw.inject({ url: '/' })).json<Echo>().name);
    expect(names).toEqual(['a', 'b', 'a', 'b']);
  });

  it('leaves a down upstream out, then tries it again after retryAfterFailure', async () => {
    const a = await backend('a');
    const downPort = await freePort();
    const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
    const down = `http://127.0.0.1:${downPort}`;
    const gw = await app({ routes: [{ path: '/', upstreams: [down, a.url], retryAfterFailure: '300ms' }] }, telemetry);
    // The first GET meets the refused upstream and is retried on the other one: no client sees the failure.
    for (let i = 0; i < 4; i++) {
      const res = await gw.inject({ url: '/' });
      expect(res.statusCode).toBe(200);
      expect(res.json<Echo>().name).toBe('a');
    }
    // A POST is not retried elsewhere, but the down upstream is skipped, so it reaches `a`.
    expect((await gw.inject({ method: 'POST', url: '/', payload: 'x' })).json<Echo>().name).toBe('a');
    const metrics = await telemetry.metrics();
    expect(metrics).toContain(`gatehouse_upstream_down_total{upstream="${down}"} 1`);
    expect(metrics).toContain(`gatehouse_upstream_failed_total{upstream="${down}"} 1`);

    const back = await backend('back', downPort);
    await waitFor('the recovered upstream to get traffic again', async () => {
      await gw.inject({ url: '/' });
      return back.hits() > 0;
    });
  });

  it('answers 502 as JSON, or HTML to a browser, when every upstream is down', async () => {
    const gw = await app({ routes: [{ path: '/', upstreams: [`http://127.0.0.1:${await freePort()}`] }] });
    const json = await gw.inject({ url: '/x' });
    expect(json.statusCode).toBe(502);
    expect(json.json()).toMatchObject({ error: { code: 'BAD_GATEWAY' } });
    // Now marked down: answered without trying, same shape.
    const html = await gw.inject({ url: '/x', headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(html.statusCode).toBe(502);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('502 Bad Gateway');
  });

  it('answers 504 when the upstream does not answer within the response timeout', async () => {
    const slow = track(await startSlow());
    const gw = await app({ routes: [{ path: '/', upstreams: [slow.url], timeouts: { response: '200ms' } }] });
    const res = await gw.inject({ url: '/slow' });
    expect(res.statusCode).toBe(504);
    expect(res.json()).toMatchObject({ error: { code: 'GATEWAY_TIMEOUT' } });
    const html = await gw.inject({ url: '/slow', headers: { accept: 'text/html' } });
    expect(html.statusCode).toBe(504);
    expect(html.body).toContain('504 Gateway Timeout');
  });
});
