import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assign } from '../src/experiments/assign.js';
import type { Experiment } from '../src/experiments/config.js';
import { startEcho, startWsEcho, ws, type Backend } from './helpers/backends.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
let control: Backend;
let variantB: Backend;
let pricingV2: Backend;
let sockets: Backend;
let gw: TestGateway;
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-exp-'));

const checkout = (b: Backend) => ({
  name: 'checkout',
  paths: ['/checkout/*'],
  variants: [
    { name: 'control', weight: 50 },
    { name: 'b', weight: 50, upstream: b.url },
  ],
  goals: [{ name: 'purchase', ename: 'purchase' }],
});
const pricing = (b: Backend) => ({
  name: 'pricing',
  paths: ['/pricing/*'],
  variants: [
    { name: 'control', weight: 0 },
    { name: 'v2', weight: 100, upstream: b.url, rewrite: { from: '/pricing', to: '/pricing-v2' } },
  ],
});
const asExperiment = (raw: ReturnType<typeof checkout>): Experiment => ({ ...raw, enabled: true, hosts: [], unit: 'vid' });

/** Visitor ids that the checkout experiment puts in `variant`. */
function visitorsIn(variant: string, n: number, prefix: string): string[] {
  const exp = asExperiment(checkout(control));
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) if (assign(exp, `${prefix}${i}`) === variant) out.push(`${prefix}${i}`);
  return out;
}

interface Echo {
  name: string;
  url: string;
  headers: Record<string, string>;
}

async function start(extra: Record<string, Record<string, unknown>> = {}): Promise<TestGateway> {
  return startGateway({
    static: { enabled: false },
    proxy: { routes: [{ path: '/', upstreams: [control.url] }, { path: '/live', upstreams: [sockets.url] }] },
    experiments: { list: [checkout(variantB), pricing(pricingV2), { ...pricing(variantB), name: 'live', paths: ['/live/*'] }], allowOverride: true },
    spool: { dir: join(dir, 'spool') },
    sinks: { duckdb: { path: join(dir, 'events.duckdb') } },
    ...extra,
  });
}

beforeAll(async () => {
  [control, variantB, pricingV2, sockets] = await Promise.all([startEcho('control'), startEcho('b'), startEcho('pricing-v2'), startWsEcho()]);
  gw = await start();
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([control, variantB, pricingV2, sockets].map((b) => b?.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { headers: { 'user-agent': CHROME, ...headers } });

describe('experiments at the edge', () => {
  it('serves each variant from its own upstream, tells it the assignment and sets the cookie', async () => {
    const [inB] = visitorsIn('b', 1, 'route-b-');
    const [inControl] = visitorsIn('control', 1, 'route-c-');
    const b = await get('/checkout/cart', { cookie: `vid=${inB}; sid=s1` });
    const bodyB = (await b.json()) as Echo;
    expect(bodyB.name).toBe('b');
    expect(bodyB.headers['gatehouse-experiments']).toBe('checkout=b');
    expect(b.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^gh_exp=checkout:b; Max-Age=\d+; Path=\/; SameSite=Lax$/));
    const c = (await (await get('/checkout/cart', { cookie: `vid=${inControl}; sid=s2` })).json()) as Echo;
    expect(c).toMatchObject({ name: 'control', headers: { 'gatehouse-experiments': 'checkout=control' } });
    const [exposure] = await gw.events(1, { vid: inB, ename: 'exposure' });
    expect(exposure).toMatchObject({ origin: 'experiment', etyp: 'assigned', xid: 'checkout', split: 'b', vid: inB });
  });

  it('rewrites the path prefix of a routed variant', async () => {
    const body = (await (await get('/pricing/plans?x=1', { cookie: 'vid=rewrite-1; sid=s' })).json()) as Echo;
    expect(body).toMatchObject({ name: 'pricing-v2', url: '/pricing-v2/plans?x=1' });
    expect(body.headers['gatehouse-experiments']).toBe('pricing=v2');
  });

  it('leaves WebSocket upgrades on the route\'s own upstream, even for a routed variant', async () => {
    const socket = new ws.WebSocket(`${gw.url.replace('http', 'ws')}/live/socket`, { headers: { cookie: 'vid=ws-1; sid=s' } });
    const hello = await new Promise<string>((resolve, reject) => {
      socket.on('message', (data) => resolve(data.toString()));
      socket.once('error', reject);
    });
    const closed = new Promise<void>((resolve) => socket.once('close', resolve));
    socket.close();
    await closed;
    expect((JSON.parse(hello) as { url: string }).url).toBe('/live/socket');
  });

  it('assigns a first visit: the minted visitor id is the one the exposure and the upstream see', async () => {
    const res = await get('/checkout/');
    const echo = (await res.json()) as Echo;
    const vid = /(?:^|; )vid=([^;]+)/.exec(echo.headers.cookie ?? '')?.[1];
    expect(vid).toBeDefined();
    expect(res.headers.getSetCookie()).toContainEqual(expect.stringMatching(new RegExp(`^vid=${vid};`)));
    const variant = assign(asExperiment(checkout(control)), vid ?? '');
    expect(echo.name).toBe(variant);
    const [exposure] = await gw.events(1, { vid, ename: 'exposure' });
    expect(exposure?.split).toBe(variant);
  });

  it('leaves other paths alone and never forwards a client-sent assignment', async () => {
    const echo = (await (await get('/about/us', { cookie: 'vid=other-1', 'gatehouse-experiments': 'checkout=b' })).json()) as Echo;
    expect(echo.name).toBe('control');
    expect(echo.headers['gatehouse-experiments']).toBeUndefined();
    const [inControl] = visitorsIn('control', 1, 'spoof-');
    const spoofed = (await (await get('/checkout/', { cookie: `vid=${inControl}; sid=s; gh_exp=checkout:b`, 'gatehouse-experiments': 'checkout=b' })).json()) as Echo;
    expect(spoofed).toMatchObject({ name: 'control', headers: { 'gatehouse-experiments': 'checkout=control' } });
  });

  it('records one exposure per unit under concurrent first requests and across a restart', async () => {
    const [unit] = visitorsIn('b', 1, 'once-');
    const burst = await Promise.all(Array.from({ length: 20 }, () => get('/checkout/pay', { cookie: `vid=${unit}; sid=s` })));
    expect(burst.every((r) => r.status === 200)).toBe(true);
    await Promise.all(burst.map((r) => r.arrayBuffer()));
    await gw.events(1, { vid: unit, ename: 'exposure' });
    // A new gateway process on the same spool and store has forgotten everything but the derived event id.
    await gw.stop();
    gw = await start();
    await (await get('/checkout/pay', { cookie: `vid=${unit}; sid=s` })).arrayBuffer();
    await fetch(`${gw.url}/tr/v1/?ename=marker_once&vid=${unit}`);
    await gw.events(1, { vid: unit, ename: 'marker_once' });
    expect(await gw.store.countEvents({ vid: unit, ename: 'exposure' })).toBe(1);
  });

  it('stamps the visitor\'s later events with its confirmed assignments, never a forged one', async () => {
    const [inB] = visitorsIn('b', 1, 'later-');
    const res = await get('/checkout/', { cookie: `vid=${inB}; sid=s` });
    await res.arrayBuffer();
    const cookie = `vid=${inB}; sid=s; ${res.headers.getSetCookie().find((c) => c.startsWith('gh_exp='))?.split(';')[0] ?? ''}`;
    await fetch(`${gw.url}/tr/v1/?ename=purchase`, { headers: { cookie, 'user-agent': CHROME } });
    const [purchase] = await gw.events(1, { vid: inB, ename: 'purchase' });
    expect(purchase).toMatchObject({ xid: 'checkout', split: 'b', params: { gh_exp: 'checkout:b' } });
    // A cookie claiming the other variant is not believed: the variant is recomputed from the event's visitor.
    await fetch(`${gw.url}/tr/v1/?ename=forged`, { headers: { cookie: `vid=${inB}; sid=s; gh_exp=checkout:control`, 'user-agent': CHROME } });
    const [forged] = await gw.events(1, { vid: inB, ename: 'forged' });
    expect(forged?.xid).toBeUndefined();
    expect(forged?.params?.gh_exp).toBeUndefined();
  });

  it('honours a QA override, recorded as such', async () => {
    const [inControl] = visitorsIn('control', 1, 'qa-');
    const echo = (await (await get('/checkout/?gh_variant=checkout:b', { cookie: `vid=${inControl}; sid=s` })).json()) as Echo;
    expect(echo).toMatchObject({ name: 'b', headers: { 'gatehouse-experiments': 'checkout=b' } });
    const [exposure] = await gw.events(1, { vid: inControl, ename: 'exposure' });
    expect(exposure).toMatchObject({ etyp: 'override', split: 'b' });
  });

  it('assigns bots (the page renders) and marks their exposure as a bot', async () => {
    const res = await get('/checkout/', { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', cookie: 'vid=bot-1; sid=s' });
    expect((await res.json()) as Echo).toMatchObject({ headers: { 'gatehouse-experiments': expect.stringMatching(/^checkout=/) } });
    const [exposure] = await gw.events(1, { vid: 'bot-1', ename: 'exposure' });
    expect(exposure?.bot).toBe(true);
  });
});

describe('experiments without cookies', () => {
  let cookieless: TestGateway;
  beforeAll(async () => {
    cookieless = await startGateway({
      static: { enabled: false },
      tracking: { cookies: { mode: 'cookieless' } },
      proxy: { routes: [{ path: '/', upstreams: [control.url] }] },
      experiments: { list: [checkout(variantB)] },
    });
  });
  afterAll(async () => cookieless?.stop());

  it('assigns the derived visitor id, sets no cookie, and records its exposure once', async () => {
    const responses = [];
    for (let i = 0; i < 3; i++) responses.push(await fetch(`${cookieless.url}/checkout/`, { headers: { 'user-agent': CHROME } }));
    const names = await Promise.all(responses.map(async (r) => ((await r.json()) as Echo).name));
    expect(new Set(names).size).toBe(1);
    expect(responses.flatMap((r) => r.headers.getSetCookie())).toEqual([]);
    const [exposure] = await cookieless.events(1, { ename: 'exposure' });
    expect(exposure?.split).toBe(names[0]);
    await fetch(`${cookieless.url}/tr/v1/?ename=marker_cookieless`);
    await cookieless.events(1, { ename: 'marker_cookieless' });
    expect(await cookieless.store.countEvents({ ename: 'exposure' })).toBe(1);
  });
});
