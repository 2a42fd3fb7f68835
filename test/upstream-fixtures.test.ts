import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { PIXEL_GIF } from '../src/track/routes/pixel.js';
import { startEcho } from './helpers/backends.js';

/**
 * The upstream tracker's documented payloads and its client's request shapes (test/fixtures/upstream), through a
 * real gateway with the default config, in both of its route layouts: 2020 (`/tr/v1/`, `/img/v1/`, ...) and
 * current (`/tr/v1/tr/`, `/tr/v1/img/`, ...). Each layout gets its own gateway, so each stores its events once.
 */

type Json = Record<string, unknown>;
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/upstream/payloads.json', import.meta.url), 'utf8')) as {
  rest: Record<string, string>;
  json: Record<string, Json>;
  client: { headers: Record<string, string>; body: Json };
  server: Record<string, Json>;
  ltv: Record<string, Json>;
  pixel: { path: string };
  redirect: { query: string };
};
const API_KEY = 'upstream-server-key-0123';

const LAYOUTS = {
  '2020': { track: '/tr/v1', pixel: '/img/v1', redirect: '/rdr/v1', server: '/str/v1', ltv: '/tlv/v1' },
  current: { track: '/tr/v1/tr', pixel: '/tr/v1/img', redirect: '/tr/v1/rdr', server: '/tr/v1/str', ltv: '/tr/v1/ltv' },
};

describe.each(Object.entries(LAYOUTS))('the upstream tracker, %s route layout', (_name, routes) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({
      tracking: { apiKeys: [{ name: 'backend', key: API_KEY }], redirects: { allowHosts: ['example.com'] } },
    });
  });
  afterAll(async () => gw?.stop());

  const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(gw.url + path, { method: 'POST', body: JSON.stringify(body), headers });

  it('REST path tuples (README and route examples) are stored with typed fields', async () => {
    for (const [name, rest] of Object.entries(fixtures.rest)) {
      const res = await fetch(`${gw.url}${routes.track}${rest}`);
      expect(res.status, name).toBe(200);
    }
    const [e] = await gw.events(1, { vid: 'aFccafd' });
    expect(e).toMatchObject({ lat: 37.232332, lon: 6.32233223, first: true, score: 6, ref: 'andy', origin: 'track', params: { ROCK: 'ON' } });
    await gw.events(1, { vid: '14fb0860-b4bf-11e9-8971-7b80435315ac' });
    expect((await gw.events(1, { vid: 'accad' }))[0]).toMatchObject({ lat: 5, lon: 6, score: 6 });
    expect((await gw.events(1, { vid: 'USER_ID' }))[0]).toMatchObject({ ename: 'page_view', etyp: 'view' });
  });

  it("the current README's JSON example", async () => {
    expect((await post(`${routes.track}/`, fixtures.json.readmeCurrent)).status).toBe(200);
    const [e] = await gw.events(1, { ename: 'page_view', url: 'https://example.com/page' });
    expect(e).toMatchObject({ vid: '14fb0860-b4bf-11e9-8971-7b80435315ac', sid: 'session-123', etyp: 'view', tz: 'America/Los_Angeles', device: 'Desktop', os: 'macOS' });
  });

  it('the README JSON example: epoch-ms created, "false" first, the short eid "cw-a"', async () => {
    const res = await post(`${routes.track}/`, fixtures.json.readme2018);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, ids: ['cw-a'] });
    const [e] = await gw.events(1, { vid: '3d0be300-cbd2-11e8-aa59-ffd128a54d91' });
    expect(e).toMatchObject({
      eid: 'cw-a', created: '2018-10-09T16:20:52.702Z', first: false, duration: 34752, sink: 'cw$', score: 1, uid: 'admin',
      sid: '3d0be301-cbd2-11e8-aa59-ffd128a54d91', tz: 'America/Los_Angeles', device: 'Linux', os: 'Linux', last: 'https://localhost:5001/cw.html',
    });
    expect(e?.params).toEqual({ type: 'a', ref: 'Bespoke', next: 'https://localhost:5001/cw.html' });
    // The same event again (a client's retry, or the other README version with the same eid): stored once.
    expect((await post(`${routes.track}/`, fixtures.json.readme2020)).status).toBe(200);
    expect((await post(`${routes.track}/`, fixtures.json.routeComment)).status).toBe(200);
    await gw.events(1, { vid: '4883a4c0-cb96-11e8-afac-bb666b9727ed' });
    expect(await gw.store.countEvents({ vid: '3d0be300-cbd2-11e8-aa59-ffd128a54d91' })).toBe(1);
  });

  it("the README's 'failed' example (numbers where text is stored) is accepted like its 'good' one", async () => {
    for (const name of ['readmeFailed', 'readmeGood']) expect((await post(`${routes.track}/`, fixtures.json[name])).status, name).toBe(200);
    const events = await gw.events(2, { ename: 'filter_results' });
    for (const e of events) {
      expect(e).toMatchObject({ rel: '1', w: 375, h: 667, app: 'native', etyp: 'filter', ptyp: 'own_rooms', did: '758152C1-278C-4C80-84A0-CF771B000835', ehash: expect.any(String) });
      expect(e.params).toEqual({ page: '1', time: '1585149028377' });
      expect(JSON.stringify(e)).not.toContain('lalala@aaa.com');
    }
  });

  it("its browser client's request: text/plain JSON with Authorization: Bearer null", async () => {
    const res = await post(`${routes.track}/`, fixtures.client.body, fixtures.client.headers);
    expect(res.status).toBe(200);
    const [e] = await gw.events(1, { vid: '6f1c2a10-b3c4-11ef-9e2a-0b6a1c2d3e4f' });
    expect(e).toMatchObject({ ename: 'signup', first: true, score: 6, w: 1280, h: 720, created: '2024-12-06T15:46:40.000Z', aff: 'partner-1', url: 'https://shop.example/pricing' });
    expect(e?.params).toMatchObject({ plan: 'pro', utm_source: 'news' });
  });

  it('an email pixel: GIF, event stored', async () => {
    const res = await fetch(`${gw.url}${routes.pixel}${fixtures.pixel.path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PIXEL_GIF);
    const [e] = await gw.events(1, { vid: 'mail-visitor-1' });
    expect(e).toMatchObject({ ename: 'opened', etyp: 'email', campaign: 'winter', source: 'newsletter', origin: 'pixel' });
  });

  it('a tracked redirect: 302 to the allowed destination, click stored', async () => {
    const res = await fetch(`${gw.url}${routes.redirect}/${fixtures.redirect.query}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://example.com/sale');
    const [e] = await gw.events(1, { vid: 'link-visitor-1' });
    expect(e).toMatchObject({ ename: 'clicked', origin: 'redirect', url: 'https://example.com/sale' });
  });

  it("the current README's server-side example: 401 without an API key (upstream had none), stored with one", async () => {
    const example = fixtures.server.readmeCurrent;
    expect((await post(`${routes.server}/`, example)).status).toBe(401);
    const res = await post(`${routes.server}/`, example, { 'content-type': 'application/json', 'x-api-key': API_KEY });
    expect(res.status).toBe(200);
    const [e] = await gw.events(1, { ename: 'server_event' });
    expect(e).toMatchObject({ etyp: 'conversion', origin: 'server', params: { oid: 'org-id', revenue: '99.99' } });
  });

  it('a server-side event with an API key answers its id', async () => {
    const res = await post(`${routes.server}/`, { ...fixtures.json.routeComment, vid: 'server-visitor-1' }, { 'content-type': 'application/json', 'x-api-key': API_KEY });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string };
    const [e] = await gw.events(1, { vid: 'server-visitor-1' });
    expect(e).toMatchObject({ eid: body.id, origin: 'server', created: '2018-10-09T08:14:17.869Z', first: false });
  });

  it('lifetime value: one event per payment (the README\'s single and batch examples)', async () => {
    expect((await post(`${routes.ltv}/`, fixtures.ltv.readmeSingle)).status).toBe(200);
    const batch = await post(`${routes.ltv}/`, fixtures.ltv.readmeBatch);
    expect(batch.status).toBe(200);
    expect(((await batch.json()) as { ids: string[] }).ids).toHaveLength(2);
    const events = await gw.events(3, { vid: 'user-id', ename: 'payment' });
    expect(events.map((e) => e.params?.orid).sort()).toEqual(['order-123', 'order-124', 'order-125']);
    for (const e of events) expect(e).toMatchObject({ etyp: 'ltv', uid: 'user-123', params: { oid: 'org-id', currency: 'USD' } });
    expect(events.find((e) => e.params?.orid === 'order-123')?.params?.amt).toBe('99.99');
    const bad = await post(`${routes.ltv}/`, { vid: 'user-id', payments: [{ amt: 1 }, 'two'] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/payments\[1\]/);
  });

  it('a value that cannot be coerced is a 400 naming the field, and nothing is stored', async () => {
    const res = await post(`${routes.track}/`, { ...fixtures.json.readme2018, eid: 'bad-one', first: 'maybe', created: 1.5, score: 'high' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; fields: { field: string }[] } };
    expect(body.error.code).toBe('INVALID_EVENT');
    expect(body.error.fields.map((f) => f.field).sort()).toEqual(['created', 'first', 'score']);
  });
});

describe('both layouts on one gateway: how /tr/v1/... is told apart', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => gw?.stop());

  it('a route segment after /tr/v1/ is the current layout; anything else is REST tuples of the 2020 one', async () => {
    const tuples = await fetch(`${gw.url}/tr/v1/vid/tuple-visitor/ename/img`);
    expect(tuples.headers.get('content-type')).toMatch(/application\/json/);
    const pixel = await fetch(`${gw.url}/tr/v1/img/vid/pixel-visitor`);
    expect(pixel.headers.get('content-type')).toBe('image/gif');
    const current = await fetch(`${gw.url}/tr/v1/tr/vid/current-visitor/ename/current_tuple`);
    expect(current.status).toBe(200);
    expect((await gw.events(1, { vid: 'tuple-visitor' }))[0]).toMatchObject({ ename: 'img', origin: 'track' });
    expect((await gw.events(1, { vid: 'pixel-visitor' }))[0]).toMatchObject({ ename: 'open', origin: 'pixel' });
    expect((await gw.events(1, { vid: 'current-visitor' }))[0]).toMatchObject({ ename: 'current_tuple', origin: 'track' });
    expect((await gw.events(1, { vid: 'current-visitor' }))[0]?.params).toBeUndefined();
  });
});

describe('a catch-all proxy never gets the upstream routes', () => {
  it('the payments route and a moved current layout are reserved like /tr/v1', async () => {
    const site = await startEcho('site');
    const gw = await startGateway({
      static: { enabled: false },
      proxy: { routes: [{ path: '/', upstreams: [site.url] }] },
      tracking: { routes: { current: '/t/v1' } },
    });
    try {
      expect((await fetch(`${gw.url}/app/page`)).status).toBe(200);
      for (const path of ['/tlv/v1/', '/t/v1/img/x', '/t/v1/ltv/']) expect((await fetch(gw.url + path, { method: 'PUT', body: 'x' })).status, path).toBe(404);
      expect((await fetch(`${gw.url}/t/v1/img/vid/moved-visitor`)).headers.get('content-type')).toBe('image/gif');
      expect(site.hits()).toBe(1);
    } finally {
      await gw.stop();
      await site.stop();
    }
  });
});
