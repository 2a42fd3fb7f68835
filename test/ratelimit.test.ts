import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance, type FastifyRequest, type LightMyRequestResponse } from 'fastify';
import { RateLimitConfig, rateLimitPlugin } from '../src/ratelimit/index.js';
import { installErrorHandlers } from '../src/server/error-handler.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createClientIpResolver } from '../src/track/enrich/client-ip.js';
import { decodeSlice } from './helpers/backends.js';
import { startRedis, type RedisHandle } from './helpers/redis.js';
import { waitFor } from './helpers/wait.js';

const apps: FastifyInstance[] = [];
const newTelemetry = () => new Telemetry(createLogger('silent'), { defaultMetrics: false });

/**
 * The public app as main-app would assemble it: the limiter first (its hook must reach every route, including
 * those in child plugins), then routes of each class.
 */
async function limitedApp(rateLimit: unknown, telemetry = newTelemetry()): Promise<FastifyInstance> {
  const app = Fastify({ trustProxy: false });
  apps.push(app);
  installErrorHandlers(app);
  const resolve = createClientIpResolver(['10.0.0.0/8']);
  const clientIp = (request: FastifyRequest) => resolve(request.socket.remoteAddress ?? '', request.headers);
  await app.register(rateLimitPlugin, { config: decodeSlice(RateLimitConfig, rateLimit), clientIp, telemetry });
  await app.register(async (scope) => {
    scope.get('/tr/v1/*', { config: { routeClass: 'tracking' } }, async () => ({ ok: true }));
    scope.get('/img/v1/*', { config: { routeClass: 'pixel' } }, async (request, reply) =>
      reply.type('image/gif').send(request.rateLimited ? 'not recorded' : 'recorded'),
    );
  });
  app.get('/static/*', { config: { routeClass: 'static' } }, async () => 'file');
  app.get('/healthz', { config: { routeClass: 'ops' } }, async () => 'ok');
  return app;
}

const strict = (cls: string, points: number, burst = 0) => ({ rules: { [cls]: { points, burst, duration: '60s' } } });

/** Sends `n` requests and returns their statuses. */
async function statuses(app: FastifyInstance, n: number, opts: { url?: string; remoteAddress?: string; headers?: Record<string, string> } = {}) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send(app, opts)).statusCode);
  return out;
}

function send(app: FastifyInstance, { url = '/tr/v1/e', remoteAddress = '203.0.113.1', headers = {} }: { url?: string; remoteAddress?: string; headers?: Record<string, string> }): Promise<LightMyRequestResponse> {
  return app.inject({ url, remoteAddress, headers });
}

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

describe('rate limit (memory store)', () => {
  it('answers 429 with Retry-After and RateLimit-* once points and burst are spent', async () => {
    const telemetry = newTelemetry();
    const app = await limitedApp(strict('tracking', 3, 2), telemetry);
    expect(await statuses(app, 5)).toEqual([200, 200, 200, 200, 200]);
    const limited = await send(app, {});
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.headers['ratelimit-limit']).toBe('3');
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect(Number(limited.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
    expect(limited.headers['ratelimit-policy']).toBe('3;w=60');
    expect(limited.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    // Each class counts on its own, and classes without a rule (ops) are never limited.
    expect((await send(app, { url: '/static/a.css' })).statusCode).toBe(200);
    expect(await statuses(app, 3, { url: '/healthz' })).toEqual([200, 200, 200]);
    expect(await telemetry.metrics()).toContain('gatehouse_rate_limited_total{class="tracking"} 1');
  });

  it('never limits an allowlisted client', async () => {
    const app = await limitedApp({ ...strict('tracking', 1), allowCidrs: ['203.0.113.0/24'] });
    expect(await statuses(app, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(await statuses(app, 2, { remoteAddress: '198.51.100.1' })).toEqual([200, 429]);
  });

  it('flags a pixel over the limit instead of refusing it, and counts it', async () => {
    const telemetry = newTelemetry();
    const app = await limitedApp(strict('pixel', 1), telemetry);
    const [first, second] = [await send(app, { url: '/img/v1/x' }), await send(app, { url: '/img/v1/x' })];
    expect([first?.statusCode, first?.body]).toEqual([200, 'recorded']);
    expect([second?.statusCode, second?.body]).toEqual([200, 'not recorded']);
    expect(await telemetry.metrics()).toContain('gatehouse_rate_limited_total{class="pixel"} 1');
  });

  it('keys on the client IP resolved through trusted proxies only', async () => {
    const app = await limitedApp(strict('tracking', 2));
    const viaProxy = (client: string) => ({ remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': client } });
    expect(await statuses(app, 3, viaProxy('203.0.113.7'))).toEqual([200, 200, 429]);
    expect(await statuses(app, 2, viaProxy('203.0.113.8'))).toEqual([200, 200]);
    // An untrusted peer cannot pose as many clients: its header is ignored, its address is the key.
    const direct = (claim: string) => ({ remoteAddress: '198.51.100.9', headers: { 'x-forwarded-for': claim } });
    expect([(await send(app, direct('1.1.1.1'))).statusCode, (await send(app, direct('2.2.2.2'))).statusCode]).toEqual([200, 200]);
    expect((await send(app, direct('3.3.3.3'))).statusCode).toBe(429);
  });

  it('can key on route and on API key', async () => {
    const app = await limitedApp({ rules: { tracking: { key: 'ip+path', points: 1, burst: 0, duration: '60s' }, pixel: { key: 'ip+path', points: 1, burst: 0, duration: '60s' }, static: { key: 'apiKey', points: 1, burst: 0, duration: '60s' } } });
    // One key per matched route, not per raw path: another path under the same route is the same client.
    expect([(await send(app, { url: '/tr/v1/a' })).statusCode, (await send(app, { url: '/img/v1/a' })).statusCode]).toEqual([200, 200]);
    expect((await send(app, { url: '/tr/v1/b?y=2' })).statusCode).toBe(429);
    const key = (k: string) => ({ url: '/static/x', headers: { 'x-api-key': k } });
    expect([(await send(app, key('key-one'))).statusCode, (await send(app, key('key-two'))).statusCode]).toEqual([200, 200]);
    expect((await send(app, key('key-one'))).statusCode).toBe(429);
  });

  it('does nothing when disabled', async () => {
    const app = await limitedApp({ ...strict('tracking', 1), enabled: false });
    expect(await statuses(app, 3)).toEqual([200, 200, 200]);
  });
});

describe('rate limit (Redis store)', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  const shared = (points: number, keyPrefix: string) => ({ store: 'redis', redis: { url: redis.url, keyPrefix }, ...strict('tracking', points) });

  it('counts one limit across two instances', async () => {
    const a = await limitedApp(shared(4, 'shared-test'));
    const b = await limitedApp(shared(4, 'shared-test'));
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await send(a, {})).statusCode, (await send(b, {})).statusCode);
    expect(seen).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('still limits, per instance, while Redis is unreachable', async () => {
    const own = await startRedis();
    const telemetry = newTelemetry();
    const app = await limitedApp({ ...shared(2, 'outage-test'), redis: { url: own.url, keyPrefix: 'outage-test' } }, telemetry);
    await waitFor('the store to connect', async () => (await telemetry.metrics()).includes('gatehouse_rate_limit_store_available_total 1'));
    await own.stop();
    await waitFor('the outage to be reported', async () => (await telemetry.metrics()).includes('gatehouse_rate_limit_store_unavailable_total 1'));
    expect(await statuses(app, 3, { remoteAddress: '192.0.2.50' })).toEqual([200, 200, 429]);
  });
});
