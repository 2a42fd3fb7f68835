import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { waitFor } from './helpers/wait.js';

/**
 * The ingestion APIs of the systems Gatehouse replaces (presets) and a user-defined webhook mapping, through the
 * real server into DuckDB: each documented example stored with the right fields; bad credentials 401 and bad
 * values 400, with nothing stored.
 */

type Fixture = Record<string, unknown>;
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/sources/${name}.json`, import.meta.url), 'utf8')) as Record<string, Fixture>;
const vector = fixture('vector');
const eventkit = fixture('eventkit');
const productgraph = fixture('productgraph');

const PG_KEY = 'pg-project-key-0001';
const HOOK_TOKEN = 'hook-token-0123456789';
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({
    tracking: { cors: { allowOrigins: ['https://app.example.com'] } },
    protocols: {
      vector: { enabled: true },
      eventkit: { enabled: true, collectPath: '/ek/collect' },
      productgraph: { enabled: true, auth: { type: 'header', header: 'X-PG-API-Key', tokens: [PG_KEY] } },
      sources: [
        {
          // A SaaS webhook: nested objects, a literal dotted key, an envelope with the events array.
          name: 'billing-hook',
          path: '/hooks/billing/:tenant',
          auth: { type: 'bearer', tokens: [HOOK_TOKEN] },
          batch: 'data.items',
          map: {
            eid: { from: 'id', required: true },
            ename: { from: 'type', required: true },
            etyp: { value: 'webhook' },
            uid: 'customer.id',
            created: { from: 'created', unit: 's' },
            campaign: 'attributes.campaign.name',
            score: 'amount',
            'params.tenant': '$path.tenant',
            'params.account': '$root.account',
            params: 'metadata',
          },
          unmapped: 'drop',
          reply: { status: 202 },
        },
        {
          name: 'forms',
          path: '/hooks/forms',
          auth: { type: 'basic', tokens: ['forms:s3cret-password'] },
          map: { ename: { value: 'form_submitted' }, vid: 'visitor', email: 'answers.email' },
        },
      ],
    },
  });
});
afterAll(async () => gw?.stop());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(gw.url + path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
type ErrorAnswer = { error: { code: string; message: string; [k: string]: unknown } };
const errorOf = async (res: Response) => ((await res.json()) as ErrorAnswer).error;
const rawOf = (e: { raw?: string }) => JSON.parse(e.raw ?? 'null') as Record<string, unknown>;

/** A valid event after the refused ones: once it is stored, anything accepted before it would be too. */
async function assertNothingStored(uid: string, marker: string): Promise<void> {
  expect((await post('/hooks/forms', { visitor: marker }, { authorization: `Basic ${Buffer.from('forms:s3cret-password').toString('base64')}` })).status).toBe(200);
  await gw.events(1, { vid: marker });
  expect(await gw.store.countEvents({ uid })).toBe(0);
}

describe('Vector events router preset (POST /collect)', () => {
  it('stores the README examples with event, userId, properties, traits and UTM mapped', async () => {
    for (const name of ['signUp', 'identify', 'purchaseUtm', 'pageView', 'requestDemo', 'schema']) {
      const res = await post('/collect', vector[name]);
      expect(res.status, name).toBe(200);
      expect(await res.json()).toEqual({ success: true });
    }
    const events = await gw.events(6, { uid: 'user123' });
    const by = (ename: string) => events.find((e) => e.ename === ename);
    expect(by('Sign Up')).toMatchObject({ etyp: 'track', uid: 'user123', origin: 'protocol', params: { Country: 'United States', OS: 'macOS', Source: 'Website' } });
    expect(by('$identify')).toMatchObject({ etyp: 'identify', params: { $name: 'John Doe' } });
    expect(by('$identify')?.params?.$email).toBeUndefined();
    expect(by('$identify')?.ehash).toBeTruthy();
    expect(by('$identify')?.raw).not.toContain('john@example.com');
    expect(by('Purchase')).toMatchObject({ etyp: 'track', source: 'google', params: { value: '99.99' } });
    expect(by('Purchase')?.params?.utm_source).toBeUndefined();
    expect(by('Page View')).toMatchObject({ etyp: 'page', params: { 'Page Name': 'Dashboard', 'Referrer URL Path': '/login' } });
    expect(by('Request Demo')?.params).toMatchObject({ 'Contact Method': 'Form', 'Area of Interest': 'Enterprise' });
    expect(by('Event Name')).toMatchObject({ created: '2025-01-28T12:00:00.000Z', params: { key: 'value', $name: 'John Doe' } });
    expect(rawOf(by('Sign Up') ?? {})).toMatchObject({ event: 'Sign Up', userId: 'user123' });
  });

  it('answers 400 naming the field when "event" is missing or not text, and stores nothing', async () => {
    const missing = await post('/collect', { userId: 'vector-bad-1', properties: { a: 1 } });
    expect(missing.status).toBe(400);
    expect(await errorOf(missing)).toMatchObject({ code: 'MISSING_FIELD', message: expect.stringContaining('"ename"') });
    const object = await post('/collect', { event: { name: 'x' }, userId: 'vector-bad-1' });
    expect(object.status).toBe(400);
    expect((await errorOf(object)).message).toContain('"ename" (from "event")');
    const batch = await post('/collect', [{ event: 'ok', userId: 'vector-bad-1' }, { userId: 'vector-bad-1' }]);
    expect(batch.status).toBe(400);
    expect((await errorOf(batch))).toMatchObject({ code: 'MISSING_FIELD', item: 1, field: 'ename' });
    await assertNothingStored('vector-bad-1', 'marker-vector-1');
  });
});

describe('eventkit preset', () => {
  it('POST /collect/{stream} keeps the stream; an array is a batch; /collect is stream "default"', async () => {
    expect((await post('/ek/collect/users', eventkit.collectUsers)).status).toBe(202);
    const arr = await post('/ek/collect/clicks', [
      { type: 'track', event: 'Clicked', anonymousId: 'ek-anon-1', messageId: 'ek-msg-0000001' },
      { type: 'track', event: 'Clicked', anonymousId: 'ek-anon-1', messageId: 'ek-msg-0000002', properties: { n: 2 } },
    ]);
    expect(arr.status).toBe(202);
    expect(await arr.json()).toEqual({ status: 'accepted' });
    expect((await post('/ek/collect', { anything: 'goes', anonymousId: 'ek-anon-2' })).status).toBe(202);

    const users = await gw.events(1, { uid: 'user_123' });
    expect(users.find((e) => e.etyp === 'identify' && e.params?.stream === 'users')).toMatchObject({ ename: 'identify', uid: 'user_123' });
    const clicks = await gw.events(2, { vid: 'ek-anon-1' });
    expect(clicks.map((e) => e.eid).sort()).toEqual(['ek-msg-0000001', 'ek-msg-0000002']);
    expect(clicks.every((e) => e.params?.stream === 'clicks' && e.ename === 'Clicked' && e.etyp === 'track')).toBe(true);
    const flexible = (await gw.events(1, { vid: 'ek-anon-2' }))[0];
    expect(flexible?.params).toMatchObject({ stream: 'default', anything: 'goes' });
  });

  it('the Segment-style /v1/identify, /v1/track and /v1/page route to users, events and pages', async () => {
    for (const [path, body] of [['/v1/identify', eventkit.identify], ['/v1/track', eventkit.track], ['/v1/page', eventkit.page]] as const) {
      expect((await post(path, body)).status, path).toBe(202);
    }
    await gw.events(4, { uid: 'user_123' });
    const identify = (await gw.store.queryEvents({ uid: 'user_123', etyp: 'identify' })).find((e) => e.params?.stream === 'users' && e.params?.plan);
    expect(identify).toMatchObject({ ename: 'identify', params: { name: 'John Doe', plan: 'enterprise' } });
    expect(identify?.ehash).toBeTruthy();
    expect((await gw.store.queryEvents({ etyp: 'track', uid: 'user_123' }))[0]).toMatchObject({
      ename: 'Button Clicked', params: { stream: 'events', button_id: 'cta-signup', page: '/home' },
    });
    expect((await gw.store.queryEvents({ etyp: 'page', uid: 'user_123' }))[0]).toMatchObject({ ename: 'Home Page', url: '/home', last: '/landing', params: { stream: 'pages' } });
  });
});

describe('ProductGraph preset (POST /v1/events)', () => {
  it('stores the documented examples with their dotted attributes mapped', async () => {
    for (const name of ['pageView', 'buttonClick', 'stateChange', 'batch']) {
      const res = await post('/v1/events', productgraph[name], { 'x-pg-api-key': PG_KEY });
      expect(res.status, name).toBe(202);
      const events = (productgraph[name] as { events: unknown[] }).events;
      expect(await res.json()).toEqual({ accepted: events.length, rejected: 0, errors: [] });
    }
    const pg = await waitFor('6 ProductGraph events stored', async () => {
      const found = (await gw.store.queryEvents({ limit: 1000 })).filter((e) => e.app === 'proj_demo');
      return found.length >= 6 ? found : undefined;
    });
    expect(pg.length).toBe(6);
    const click = pg.find((e) => e.etyp === 'ui.click');
    expect(click).toMatchObject({
      ename: 'ui.click', sid: 'sess_abc123', created: '2024-01-15T10:30:15.000Z', origin: 'protocol',
      params: { 'page.path': '/products', 'ui.component.name': 'AddToCartButton', 'ui.action': 'click', 'ui.element.text': 'Add to Cart' },
    });
    // "evt_002" is shorter than an event id may be: it is hashed to a stable id, the original kept in raw.
    expect(click?.eid).toMatch(/^h-/);
    expect(rawOf(click ?? {})).toMatchObject({ event_id: 'evt_002', 'event.type': 'ui.click' });
    expect(pg.find((e) => e.etyp === 'state.change')?.params).toMatchObject({ 'ui.state.key': 'cart.items', 'ui.state.after': '[{"id":"prod_123","qty":1}]' });
    expect(pg.filter((e) => e.params?.['page.path'] === '/checkout').map((e) => e.etyp).sort()).toEqual(['page.view', 'ui.input', 'ui.submit']);

    // The same event sent again keeps its id: the store holds it once.
    expect((await post('/v1/events', productgraph.pageView, { 'x-pg-api-key': PG_KEY })).status).toBe(202);
    await assertNothingStored('nobody', 'marker-pg-dup');
    expect((await gw.store.queryEvents({ etyp: 'page.view', limit: 100 })).filter((e) => e.params?.['page.path'] === '/products')).toHaveLength(1);
  });

  it('401 without or with a wrong X-PG-API-Key, 400 for a missing required attribute; nothing stored', async () => {
    const event = { event_id: 'evt_bad_0001', project_id: 'proj_demo', 'session.id': 's', 'event.type': 'custom', 'event.timestamp': '2024-01-15T10:30:00Z', 'user.id': 'pg-bad-1' };
    for (const headers of [{}, { 'x-pg-api-key': 'wrong-key' }, { authorization: `Bearer ${PG_KEY}` }] as Record<string, string>[]) {
      const res = await post('/v1/events', { events: [event] }, headers);
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe('UNAUTHORIZED');
    }
    const { 'session.id': _dropped, ...noSession } = event;
    const res = await post('/v1/events', { events: [event, noSession] }, { 'x-pg-api-key': PG_KEY });
    expect(res.status).toBe(400);
    expect((await errorOf(res))).toMatchObject({ code: 'MISSING_FIELD', message: expect.stringContaining('item 1: "sid" is required: no value at "session.id"') });
    const badTime = await post('/v1/events', { events: [{ ...event, 'event.timestamp': 'yesterday' }] }, { 'x-pg-api-key': PG_KEY });
    expect(badTime.status).toBe(400);
    expect((await errorOf(badTime)).message).toContain('"created" (from "event.timestamp"): is not a time');
    const notArray = await post('/v1/events', { events: event }, { 'x-pg-api-key': PG_KEY });
    expect(notArray.status).toBe(400);
    await assertNothingStored('pg-bad-1', 'marker-pg-1');
  });
});

describe('a user-defined webhook mapping', () => {
  const auth = { authorization: `Bearer ${HOOK_TOKEN}` };
  const delivery = (items: unknown[]) => ({ account: 'acct_42', data: { items } });

  it('maps nested and dotted keys, path parameters and the envelope; unmapped fields stay in raw only', async () => {
    const item = {
      id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy', type: 'invoice.paid', created: 1680064028, amount: '4200',
      customer: { id: 'cus_9s6XKzkNRiz8i3' }, attributes: { 'campaign.name': 'spring' }, metadata: { plan: 'pro', seats: 5 }, livemode: false,
    };
    const res = await post('/hooks/billing/acme', delivery([item]), auth);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1 });
    const stored = (await gw.events(1, { uid: 'cus_9s6XKzkNRiz8i3' }))[0];
    expect(stored).toMatchObject({
      eid: 'evt_1NG8Du2eZvKYlo2CUI79vXWy', ename: 'invoice.paid', etyp: 'webhook', created: '2023-03-29T04:27:08.000Z',
      campaign: 'spring', score: 4200, params: { tenant: 'acme', account: 'acct_42', plan: 'pro', seats: '5' },
    });
    expect(stored?.params).not.toHaveProperty('livemode');
    expect(rawOf(stored ?? {})).toMatchObject({ livemode: false });
  });

  it('refuses a wrong token (401) and an unmappable value (400 naming it), storing nothing', async () => {
    const item = { id: 'evt_refused_000001', type: 'invoice.paid', customer: { id: 'hook-bad-1' } };
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Basic ${Buffer.from(`${HOOK_TOKEN}:`).toString('base64')}` }] as Record<string, string>[]) {
      expect((await post('/hooks/billing/acme', delivery([item]), headers)).status).toBe(401);
    }
    const badScore = await post('/hooks/billing/acme', delivery([{ ...item, amount: 'lots' }]), auth);
    expect(badScore.status).toBe(400);
    expect((await errorOf(badScore))).toMatchObject({ code: 'INVALID_FIELD', message: 'item 0: "score" (from "amount"): must be a number' });
    const badUser = await post('/hooks/billing/acme', delivery([{ ...item, customer: { id: { nested: true } } }]), auth);
    expect((await errorOf(badUser)).message).toContain('"uid" (from "customer.id"): must be a string or number, not an object');
    expect((await post('/hooks/billing/acme', { account: 'x', data: {} }, auth)).status).toBe(400);
    expect((await post('/hooks/billing/acme', 'not json', auth)).status).toBe(400);
    await assertNothingStored('hook-bad-1', 'marker-hook-1');
  });

  it('basic auth checks user and password', async () => {
    const basic = (s: string) => ({ authorization: `Basic ${Buffer.from(s).toString('base64')}` });
    expect((await post('/hooks/forms', { visitor: 'form-visitor-1' }, basic('forms:wrong'))).status).toBe(401);
    expect((await post('/hooks/forms', { visitor: 'form-visitor-1', answers: { email: 'A@Example.com' }, extra: 'x' }, basic('forms:s3cret-password'))).status).toBe(200);
    const stored = (await gw.events(1, { vid: 'form-visitor-1' }))[0];
    expect(stored).toMatchObject({ ename: 'form_submitted', params: { extra: 'x' } });
    expect(stored?.ehash).toBeTruthy();
  });
});

describe('CORS', () => {
  const preflight = (path: string, method = 'POST') =>
    fetch(gw.url + path, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': method } });

  it("preflights allow each source's credential header and methods", async () => {
    const pg = await preflight('/v1/events');
    expect(pg.status).toBe(204);
    expect(pg.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(pg.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-pg-api-key');
    expect((await preflight('/hooks/billing/acme')).headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect((await preflight('/ek/collect/users')).status).toBe(204);
    const other = await fetch(`${gw.url}/v1/events`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
