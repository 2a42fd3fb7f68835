import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildProxyApp, startControlled, startResetting, type ControlledBackend } from './helpers/backends.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';

const started: { stop(): Promise<unknown> }[] = [];
const backends = async (...names: string[]) => {
  const list: ControlledBackend[] = [];
  for (const name of names) list.push(await startControlled(name));
  started.push(...list);
  return list;
};
const app = async (proxy: unknown, telemetry?: Telemetry) => {
  const a: FastifyInstance = await buildProxyApp(proxy, { telemetry });
  started.push({ stop: () => a.close() });
  return a;
};
const nameOf = (res: LightMyRequestResponse) => res.json<{ name: string }>().name;
const tally = (names: string[]) => names.reduce<Record<string, number>>((acc, n) => ((acc[n] = (acc[n] ?? 0) + 1), acc), {});

afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.stop();
});

describe('active health checks (real gateway, admin API, metrics)', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
  });

  it('takes a failing upstream out before a user request reaches it, and brings it back after the healthy threshold', async () => {
    const [a, b] = await backends('a', 'b');
    gw = await startGateway({
      proxy: {
        routes: [
          {
            path: '/app',
            upstreams: [a!.url, b!.url],
            healthCheck: { path: '/healthz', interval: '50ms', timeout: '2s', unhealthyThreshold: 2, healthyThreshold: 3 },
          },
        ],
      },
    });
    const states = async () =>
      (await (await fetch(`${gw!.adminUrl}/admin/upstreams`)).json()) as { upstreams: { route: string; url: string; up: boolean; healthy: boolean }[] };
    const stateOf = async (backend: ControlledBackend) => (await states()).upstreams.find((u) => u.url === backend.url);
    const send = async (n: number) => {
      const statuses: number[] = [];
      for (let i = 0; i < n; i++) statuses.push((await fetch(`${gw!.url}/app/x`)).status);
      return statuses;
    };
    await waitFor('both probed', () => a!.probes() > 0 && b!.probes() > 0);
    expect(await send(10)).toEqual(Array(10).fill(200));
    expect([a!.userHits(), b!.userHits()]).toEqual([5, 5]);

    // a turns sick: its probe and its user requests now fail. No user request is sent until it is out.
    a!.healthy = false;
    await waitFor('a out of the rotation', async () => (await stateOf(a!))?.up === false);
    expect(await stateOf(a!)).toMatchObject({ route: '*/app', healthy: false, up: false });
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toContain(`gatehouse_upstream_up{route="*/app",upstream="${a!.url}"} 0`);
    expect(metrics).toContain(`gatehouse_upstream_up{route="*/app",upstream="${b!.url}"} 1`);
    expect(metrics).toContain(`gatehouse_upstream_unhealthy_total{upstream="${a!.url}"} 1`);
    expect(await send(20)).toEqual(Array(20).fill(200));
    expect(a!.userHits()).toBe(5);

    // Healthy again: back only after three passed probes in a row.
    a!.healthy = true;
    const probesAtRecovery = a!.probes();
    await waitFor('a back in the rotation', async () => (await stateOf(a!))?.up === true);
    expect(a!.probes() - probesAtRecovery).toBeGreaterThanOrEqual(3);
    expect(await send(10)).toEqual(Array(10).fill(200));
    expect(a!.userHits()).toBe(10);
    expect(await (await fetch(`${gw.adminUrl}/metrics`)).text()).toContain(`gatehouse_upstream_healthy_total{upstream="${a!.url}"} 1`);
  });
});

describe('load-balancing policies', () => {
  it('round_robin spreads evenly, and weights proportionally', async () => {
    const [a, b, c] = await backends('a', 'b', 'c');
    const even = await app({ routes: [{ path: '/', upstreams: [a!.url, b!.url, c!.url] }] });
    const names: string[] = [];
    for (let i = 0; i < 300; i++) names.push(nameOf(await even.inject({ url: '/x' })));
    expect(tally(names)).toEqual({ a: 100, b: 100, c: 100 });

    const weighted = await app({ routes: [{ path: '/', upstreams: [{ url: a!.url, weight: 3 }, b!.url] }] });
    const w: string[] = [];
    for (let i = 0; i < 400; i++) w.push(nameOf(await weighted.inject({ url: '/x' })));
    expect(tally(w)).toEqual({ a: 300, b: 100 });
  });

  it('ip_hash keeps each client (as resolved through trusted proxies) on one upstream', async () => {
    const [a, b, c] = await backends('a', 'b', 'c');
    const gw = await app({ routes: [{ path: '/', upstreams: [a!.url, b!.url, c!.url], loadBalancing: { policy: 'ip_hash' } }] });
    const perClient = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let i = 1; i <= 60; i++) {
        const client = `203.0.113.${i}`;
        // Behind the trusted proxy 10.0.0.5 the client is the X-Forwarded-For entry.
        const res = await gw.inject({ url: '/x', remoteAddress: '10.0.0.5', headers: { 'x-forwarded-for': client } });
        perClient.set(client, (perClient.get(client) ?? new Set()).add(nameOf(res)));
      }
    }
    for (const names of perClient.values()) expect(names.size).toBe(1);
    const spread = tally([...perClient.values()].map((s) => [...s][0]!));
    expect(Object.keys(spread).sort()).toEqual(['a', 'b', 'c']);
    for (const n of Object.values(spread)) expect(n).toBeGreaterThanOrEqual(8);

    // An untrusted peer cannot pick its upstream by writing X-Forwarded-For: it is hashed by its own address.
    const spoofed = new Set<string>();
    for (let i = 1; i <= 30; i++) {
      spoofed.add(nameOf(await gw.inject({ url: '/x', remoteAddress: '198.51.100.9', headers: { 'x-forwarded-for': `203.0.113.${i}` } })));
    }
    expect(spoofed.size).toBe(1);
  });

  it('least_conn sends new requests to the idle upstream, not the busy one', async () => {
    const [busy, idle] = await backends('busy', 'idle');
    busy!.hold = true;
    const gw = await app({ routes: [{ path: '/', upstreams: [busy!.url, idle!.url], loadBalancing: { policy: 'least_conn' } }] });
    // Both idle: the tie goes to the first in turn, which holds the request.
    const pending = gw.inject({ url: '/slow' });
    await waitFor('the busy upstream holds a request', () => busy!.waiting() === 1);
    const names: string[] = [];
    for (let i = 0; i < 20; i++) names.push(nameOf(await gw.inject({ url: '/x' })));
    expect(tally(names)).toEqual({ idle: 20 });
    busy!.release();
    expect(nameOf(await pending)).toBe('busy');
  });

  it('cookie pins a client to the upstream of its first answer, and re-pins when that one is gone', async () => {
    const [a, b] = await backends('a', 'b');
    const gw = await app({
      routes: [{ path: '/', upstreams: [a!.url, b!.url], retryAfterFailure: '1m', loadBalancing: { policy: 'cookie', cookie: { name: 'pin', maxAge: '1h' } } }],
    });
    const first = await gw.inject({ url: '/x' });
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/^pin=[A-Za-z0-9_-]{16}; Max-Age=3600; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(setCookie).not.toContain('127.0.0.1');
    const cookie = setCookie.split(';')[0]!;
    const pinned = nameOf(first);
    for (let i = 0; i < 20; i++) {
      const res = await gw.inject({ url: '/x', headers: { cookie } });
      expect(nameOf(res)).toBe(pinned);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    // Another client without the cookie gets the next upstream in turn.
    const other = await gw.inject({ url: '/x' });
    expect(nameOf(other)).not.toBe(pinned);

    // The pinned upstream goes away: the request is retried on the other one and the client re-pinned there.
    await (pinned === 'a' ? a! : b!).stop();
    const moved = await gw.inject({ url: '/x', headers: { cookie } });
    expect(moved.statusCode).toBe(200);
    expect(nameOf(moved)).not.toBe(pinned);
    expect([moved.headers['set-cookie']].flat()).toHaveLength(1);
    expect(String(moved.headers['set-cookie']).split(';')[0]).toBe(String(other.headers['set-cookie']).split(';')[0]);
  });
});

describe('retry and connection cap', () => {
  it('retries on another upstream when one refuses connections: zero failed requests, bodies delivered whole', async () => {
    const [a, b] = await backends('a', 'b');
    const down = `http://127.0.0.1:${await freePort()}`;
    const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
    // retryAfterFailure 1ms keeps the dead upstream in the rotation, so it is met again and again.
    const gw = await app({ routes: [{ path: '/', upstreams: [down, a!.url, b!.url], retryAfterFailure: '1ms' }] }, telemetry);
    const payload = JSON.stringify({ text: 'x'.repeat(5000) });
    const failed: number[] = [];
    for (let i = 0; i < 60; i++) {
      const post = i % 2 === 1;
      const res = await gw.inject(post ? { method: 'POST', url: '/x', payload, headers: { 'content-type': 'application/json' } } : { url: '/x' });
      if (res.statusCode !== 200) failed.push(res.statusCode);
      if (post) expect(res.json<{ bodyBytes: number }>().bodyBytes).toBe(payload.length);
    }
    expect(failed).toEqual([]);
    expect(a!.userHits() + b!.userHits()).toBe(60);
    const retried = /gatehouse_upstream_retried_total\{upstream="([^"]+)"\} (\d+)/.exec(await telemetry.metrics());
    expect(retried?.[1]).toBe(down);
    expect(Number(retried?.[2])).toBeGreaterThanOrEqual(10);
  });

  it('after a reset before any answer, retries GET elsewhere but never a POST the upstream may have acted on', async () => {
    const resetting = await startResetting();
    started.push(resetting);
    const [a] = await backends('a');
    const gw = await app({ routes: [{ path: '/', upstreams: [resetting.url, a!.url] }] });
    // Round robin starts at the resetting upstream each second request.
    const gets = [];
    for (let i = 0; i < 6; i++) gets.push((await gw.inject({ url: '/x' })).statusCode);
    expect(gets).toEqual(Array(6).fill(200));
    expect(resetting.hits()).toBe(3);
    const posts = [];
    for (let i = 0; i < 4; i++) posts.push((await gw.inject({ method: 'POST', url: '/x', payload: '{"n":1}', headers: { 'content-type': 'application/json' } })).statusCode);
    expect(posts.sort()).toEqual([200, 200, 502, 502]);
    expect(resetting.hits()).toBe(5);
    expect(a!.userHits()).toBe(8);
  });

  it('answers 502 when every upstream refuses, after trying each once', async () => {
    const downs = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`];
    const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
    const gw = await app({ routes: [{ path: '/', upstreams: downs }] }, telemetry);
    expect((await gw.inject({ url: '/x' })).statusCode).toBe(502);
    const metrics = await telemetry.metrics();
    for (const d of downs) expect(metrics).toContain(`gatehouse_upstream_failed_total{upstream="${d}"} 1`);
  });

  it('never opens more than maxConnectionsPerUpstream connections to an upstream', async () => {
    const [a] = await backends('a');
    a!.hold = true;
    const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
    const gw = await app({ routes: [{ path: '/', upstreams: [a!.url], maxConnectionsPerUpstream: 2 }] }, telemetry);
    const pending = Array.from({ length: 10 }, () => gw.inject({ url: '/x' }));
    // All ten are dispatched (counted in flight by the gateway) while the backend sees only two.
    await waitFor('ten in flight at the gateway', async () => (await telemetry.metrics()).includes(`gatehouse_upstream_requests_in_flight{route="*/",upstream="${a!.url}"} 10`));
    await waitFor('two held at the backend', () => a!.waiting() === 2);
    expect(a!.connections().open).toBe(2);
    a!.release();
    const answers = await Promise.all(pending);
    expect(answers.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    expect(a!.userHits()).toBe(10);
    expect(a!.connections().max).toBe(2);
  });

  it('spreads to the upstream with room before queueing at a full one', async () => {
    const [a, b] = await backends('a', 'b');
    a!.hold = true;
    b!.hold = true;
    const gw = await app({ routes: [{ path: '/', upstreams: [a!.url, b!.url], maxConnectionsPerUpstream: 1 }] });
    const pending = Array.from({ length: 6 }, () => gw.inject({ url: '/x' }));
    await waitFor('one held at each backend', () => a!.waiting() === 1 && b!.waiting() === 1);
    a!.release();
    b!.release();
    const names = tally((await Promise.all(pending)).map(nameOf));
    expect(names).toEqual({ a: 3, b: 3 });
    expect([a!.connections().max, b!.connections().max]).toEqual([1, 1]);
  });
});
