import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { PIXEL_GIF } from '../src/track/routes/pixel.js';

/** The example payloads of each protocol's public documentation (test/fixtures/protocols), and bad ones. */

type Json = Record<string, unknown>;
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/protocols/${name}.json`, import.meta.url), 'utf8')) as Record<string, Json>;
const segment = fixture('segment');
const snowplow = fixture('snowplow') as unknown as Record<string, Json & string>;
const posthog = fixture('posthog');
const ga4 = fixture('ga4');

const SEGMENT_AUTH = { authorization: `Basic ${Buffer.from('seg-write-key:').toString('base64')}` };
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({
    protocols: {
      bodyLimit: '16KB',
      inflatedLimit: '64KB',
      segment: { enabled: true, writeKeys: [{ name: 'backend', key: 'seg-write-key', trustContext: true }, { name: 'site', key: 'seg-browser-key' }] },
      snowplow: { enabled: true },
      posthog: { enabled: true, projectKeys: ['phc_project_key'] },
      ga4: { enabled: true, secrets: [{ measurementId: 'G-TEST123', apiSecret: 'ga-secret' }] },
    },
  });
});
afterAll(async () => gw?.stop());

const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(gw.url + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) => post(path, JSON.stringify(body), headers);
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe('Segment documentation examples', () => {
  it('each call type lands with its mapping', async () => {
    for (const type of ['track', 'identify', 'page', 'screen', 'group', 'alias']) {
      const res = await postJson(`/v1/${type}`, segment[type], SEGMENT_AUTH);
      expect(res.status, type).toBe(200);
      expect(await res.json()).toEqual({ success: true });
    }
    const events = await gw.events(6, { uid: '019mr8mf4r' });
    const byType = (t: string) => events.find((e) => e.etyp === t);
    expect(byType('track')).toMatchObject({ eid: '022bb90c-bbac-11e4-8dfc-aa07a5b093db', ename: 'Item Purchased', created: '2012-12-02T00:30:12.984Z', ip: '24.5.68.0' });
    expect(byType('track')?.params).toMatchObject({ name: 'Leap to Conclusions Mat', revenue: '14.99' });
    expect(byType('identify')).toMatchObject({ ename: 'identify', ehash: expect.any(String) });
    expect(byType('page')).toMatchObject({ ename: 'Tracking HTTP API' });
    expect(byType('screen')).toMatchObject({ ename: 'Tracking HTTP API' });
    expect(byType('group')?.params).toMatchObject({ groupId: '8e9df332ac', employees: '420' });
    expect(byType('alias')?.params).toMatchObject({ previousId: '39239-239239-239239-23923' });
  });

  it('the spec\'s common fields: campaign, page, app, device, screen, timezone, trusted context', async () => {
    expect((await postJson('/v1/track', segment.common, SEGMENT_AUTH)).status).toBe(200);
    const [e] = await gw.events(1, { uid: '97980cfea0067' });
    expect(e).toMatchObject({
      ename: 'Course Clicked', vid: '507f191e810c19729de860ea', url: 'https://segment.com/academy/',
      campaign: 'TPS Innovation Newsletter', source: 'Newsletter', medium: 'email', term: 'tps reports', content: 'image link',
      app: 'InitechGlobal', rel: '545', did: 'B5372DB0-C21E-11E4-8DFC-AA07A5B093DB', tz: 'Europe/Amsterdam', w: 320, h: 568,
      ip: '8.8.8.0', ua_os: 'iOS', ua_device: 'mobile',
    });
  });

  it('a batch with a shared context; a browser key\'s context.ip is not believed, in the body or over basic auth', async () => {
    expect((await postJson('/v1/batch', segment.batch, SEGMENT_AUTH)).status).toBe(200);
    const events = await gw.events(2, { ename: 'Song Played' });
    expect(events.map((e) => e.uid).sort()).toEqual(['019mr8mf4r', '971mj8mk7p']);
    const browser = { writeKey: 'seg-browser-key', userId: 'browser-user', event: 'Clicked', context: { ip: '8.8.4.4' } };
    expect((await postJson('/v1/track', browser)).status).toBe(200);
    const [e] = await gw.events(1, { uid: 'browser-user' });
    expect(e?.ip).toBe('127.0.0.0');
    // analytics-next sends the key as basic auth too: without trustContext, its context.ip is still the page's claim.
    const basic = { authorization: `Basic ${Buffer.from('seg-browser-key:').toString('base64')}` };
    expect((await postJson('/v1/track', { ...browser, userId: 'browser-basic' }, basic)).status).toBe(200);
    const [b] = await gw.events(1, { uid: 'browser-basic' });
    expect(b?.ip).toBe('127.0.0.0');
  });

  it('refuses missing keys, bad messages and oversized bodies with clear JSON errors', async () => {
    expect((await postJson('/v1/track', segment.track)).status).toBe(401);
    expect((await postJson('/v1/track', segment.track, { authorization: `Basic ${Buffer.from('nope:').toString('base64')}` })).status).toBe(401);
    const noEvent = await postJson('/v1/track', { userId: 'x1' }, SEGMENT_AUTH);
    expect(noEvent.status).toBe(400);
    expect((await errorOf(noEvent)).message).toMatch(/needs an "event" name/);
    const badItem = await postJson('/v1/batch', { batch: [{ ...segment.track, type: 'track' }, { type: 'bogus', userId: 'x' }] }, SEGMENT_AUTH);
    expect(badItem.status).toBe(400);
    expect((await errorOf(badItem)).message).toMatch(/item 1/);
    const malformed = await post('/v1/track', '{"userId":', SEGMENT_AUTH);
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).code).toBe('INVALID_JSON');
    const huge = await postJson('/v1/track', { ...segment.track, properties: { blob: 'x'.repeat(20_000) } }, SEGMENT_AUTH);
    expect(huge.status).toBe(413);
    const bomb = await post('/v1/track', gzipSync(JSON.stringify({ ...segment.track, properties: { blob: 'x'.repeat(100_000) } })), { ...SEGMENT_AUTH, 'content-encoding': 'gzip' });
    expect(bomb.status).toBe(413);
  });
});

describe('Snowplow tracker protocol examples', () => {
  it('GET /i page view and structured event answer a GIF and land with eid, duid, sid', async () => {
    for (const query of [snowplow.pageViewQuery, snowplow.structuredQuery]) {
      const res = await fetch(`${gw.url}/i?${query}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/gif');
      expect(Buffer.from(await res.arrayBuffer())).toEqual(PIXEL_GIF);
    }
    const events = await gw.events(2, { vid: 'aeb1691c5a0ee5a6' });
    const pv = events.find((e) => e.ename === 'page_view');
    expect(pv).toMatchObject({
      eid: 'a1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d', etyp: 'page', app: 'angry-birds', sid: 'c6ef3124-b53a-4b13-a233-0088f79dcbcb',
      url: 'http://www.example.com/products?utm_source=newsletter', source: 'newsletter', ref_host: 'www.google.com',
      created: '2013-02-22T17:22:13.313Z', tz: 'Europe/London', w: 1300, h: 800,
    });
    expect(pv?.params).toMatchObject({ title: 'Example page', platform: 'web', session_index: '2', resolution: '1280x1024' });
    const se = events.find((e) => e.ename === 'Play');
    expect(se).toMatchObject({ eid: 'b1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d', etyp: 'track' });
    expect(se?.params).toMatchObject({ category: 'Mixes', label: 'MRC/fabric-0503-mix', property: 'mp3', value: '0.0' });
  });

  it('self-describing events and contexts, as base64 (ue_px, cx) and as JSON (ue_pr, co)', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const query = new URLSearchParams({ e: 'ue', duid: 'duid-ue-1', eid: 'e1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d', ue_px: b64(snowplow.unstructEvent), cx: b64(snowplow.contexts) });
    await fetch(`${gw.url}/i?${query}`);
    const plain = new URLSearchParams({ e: 'ue', duid: 'duid-ue-2', ue_pr: JSON.stringify(snowplow.unstructEvent), co: JSON.stringify(snowplow.contexts) });
    await fetch(`${gw.url}/com.snowplowanalytics.snowplow/i?${plain}`);
    for (const duid of ['duid-ue-1', 'duid-ue-2']) {
      const [e] = await gw.events(1, { vid: duid });
      expect(e?.ename).toBe('link_click');
      expect(e?.params).toMatchObject({
        targetUrl: 'http://www.example.com', elementId: 'exampleLink', elementClasses: '["foreground"]',
        'ctx.page': '{"pageType":"test","lastUpdated":"2014-02-26"}', 'ctx.user': '{"userType":"tester"}',
      });
    }
  });

  it('POST tp2 payload_data lands every data[] event; a bad event is a 400, a bad pixel still a GIF', async () => {
    const res = await postJson('/com.snowplowanalytics.snowplow/tp2', snowplow.payloadData, { 'content-type': 'application/json; charset=UTF-8' });
    expect(res.status).toBe(200);
    const events = await gw.events(4, { vid: 'aeb1691c5a0ee5a6' }); // 2 from the GET examples
    expect(events.find((e) => e.eid === 'd1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d')?.params).toMatchObject({ sku: 'ASO01043', quantity: '2', schema: 'iglu:com.acme/add_to_basket/jsonschema/1-0-0' });
    const bad = await postJson('/com.snowplowanalytics.snowplow/tp2', { schema: 'x', data: [{ e: 'ue', ue_px: '!!!' }] });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toMatch(/item 0: ue_pr\/ue_px/);
    expect((await postJson('/com.snowplowanalytics.snowplow/tp2', { data: [] })).status).toBe(400);
    const pixel = await fetch(`${gw.url}/i?se_ca=no-event-type`);
    expect(pixel.status).toBe(200);
    expect(pixel.headers.get('content-type')).toBe('image/gif');
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/gatehouse_event_rejected_total\{reason="invalid_event",route="snowplow"\} 1/);
  });
});

describe('PostHog capture API examples', () => {
  it('single, batch and identify events; distinct_id is the user once identified', async () => {
    for (const [path, body] of [['/capture/', posthog.single], ['/batch/', posthog.batch], ['/i/v0/e/', posthog.identify]] as const) {
      const res = await postJson(path, body);
      expect(res.status, path).toBe(200);
      expect(await res.json()).toEqual({ status: 1 });
    }
    expect((await gw.events(1, { uid: 'user-doc-1' }))[0]).toMatchObject({ eid: '0190a5b4-7a6e-7c3a-9b1e-2f4d5c6e7f80', ename: 'user signed up', url: 'https://example.com/signup', created: '2024-03-14T12:00:00.000Z' });
    const batch = await gw.events(2, { uid: 'user-doc-2' });
    expect(batch.find((e) => e.ename === '$pageview')).toMatchObject({ etyp: 'page', url: 'https://example.com/pricing' });
    expect((await gw.events(1, { uid: 'user-doc-3' }))[0]).toMatchObject({ etyp: 'identify', vid: 'anon-doc-3' });
  });

  it('posthog-js forms: gzip-js, base64 data= and GET data=; an anonymous distinct_id is the visitor', async () => {
    const array = JSON.stringify(posthog.browserArray);
    const gz = await post('/e/?compression=gzip-js&ver=1.100.0', gzipSync(array), { 'content-type': 'text/plain' });
    expect(gz.status).toBe(200);
    const [e] = await gw.events(1, { vid: '0190a5b4-anon-device' });
    expect(e).toMatchObject({ eid: '0190a5b4-7a6e-7c3a-9b1e-2f4d5c6e7f84', ename: '$pageview', sid: '0190a5b4-session', ref_host: 'news.ycombinator.com', created: '2024-03-14T12:00:00.123Z' });
    expect(e?.uid).toBeUndefined();

    const other = (n: number) => [{ ...(posthog.browserArray as unknown as Json[])[0], uuid: `0190a5b4-7a6e-7c3a-9b1e-2f4d5c6e7f9${n}` }];
    const form = `data=${encodeURIComponent(Buffer.from(JSON.stringify(other(1))).toString('base64'))}`;
    expect((await post('/e/', form, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(200);
    const get = await fetch(`${gw.url}/e/?data=${encodeURIComponent(Buffer.from(JSON.stringify(other(2))).toString('base64'))}`);
    expect(get.status).toBe(200);
    await gw.events(3, { vid: '0190a5b4-anon-device' });
  });

  it('refuses unknown keys, events without distinct_id and broken encodings', async () => {
    expect((await postJson('/capture/', { ...posthog.single, api_key: 'phc_other' })).status).toBe(401);
    const noId = await postJson('/capture/', { api_key: 'phc_project_key', event: 'x' });
    expect(noId.status).toBe(400);
    expect((await errorOf(noId)).message).toMatch(/distinct_id/);
    const notGzip = await post('/batch/', 'not gzip', { 'content-encoding': 'gzip' });
    expect(notGzip.status).toBe(400);
    expect((await errorOf(notGzip)).code).toBe('INVALID_GZIP');
    const lz = await post('/e/?compression=lz64', 'data=abc', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(lz.status).toBe(400);
    expect((await errorOf(lz)).code).toBe('INVALID_LZ64');
    const unknown = await post('/e/?compression=zstd', 'data=abc', { 'content-type': 'application/x-www-form-urlencoded' });
    expect((await errorOf(unknown)).code).toBe('UNSUPPORTED_COMPRESSION');
  });
});

describe('GA4 Measurement Protocol examples', () => {
  const collect = (body: unknown, query = 'measurement_id=G-TEST123&api_secret=ga-secret') => postJson(`/mp/collect?${query}`, body);

  it('each events[] entry becomes an event: client_id → vid, user_id → uid, params → params', async () => {
    expect((await collect(ga4.tutorial)).status).toBe(204);
    expect((await collect(ga4.purchase)).status).toBe(204);
    const events = await gw.events(3, { vid: '123456.7654321' });
    expect(events.find((e) => e.ename === 'tutorial_begin')).toMatchObject({ etyp: 'track' });
    const purchase = events.find((e) => e.ename === 'purchase');
    expect(purchase).toMatchObject({ uid: 'ga-user-1', sid: '123', created: '2024-03-14T12:00:00.000Z' });
    expect(purchase?.params).toMatchObject({ currency: 'USD', value: '30.03', transaction_id: 'T_12345', 'user.customer_tier': 'premium' });
    expect(events.find((e) => e.ename === 'page_view')).toMatchObject({ etyp: 'page', url: 'https://example.com/thanks?utm_source=mp', source: 'mp' });
  });

  it('refuses a wrong secret and a body without client_id', async () => {
    expect((await collect(ga4.tutorial, 'measurement_id=G-TEST123&api_secret=wrong')).status).toBe(401);
    const res = await collect({ events: [{ name: 'x' }] });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/client_id/);
  });
});

describe('configuration', () => {
  it('a protocol can be switched off and its paths moved', async () => {
    const other = await startGateway({
      protocols: { segment: { enabled: false }, ga4: { enabled: true, paths: ['/custom/collect'], secrets: [{ measurementId: 'G-1', apiSecret: 's' }] } },
    });
    try {
      expect((await fetch(`${other.url}/v1/track`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(404);
      expect((await fetch(`${other.url}/mp/collect?measurement_id=G-1&api_secret=s`, { method: 'POST', body: JSON.stringify(ga4.tutorial) })).status).toBe(404);
      expect((await fetch(`${other.url}/custom/collect?measurement_id=G-1&api_secret=s`, { method: 'POST', body: JSON.stringify(ga4.tutorial) })).status).toBe(204);
    } finally {
      await other.stop();
    }
  });
});
