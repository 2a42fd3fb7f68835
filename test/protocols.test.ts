import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analytics } from '@segment/analytics-node';
import { buildPageView, buildSelfDescribingEvent, buildStructEvent, newTracker } from '@snowplow/node-tracker';
import { PostHog } from 'posthog-node';
import { randomUUID } from 'node:crypto';
import { startGateway, type TestGateway } from './helpers/gateway.js';

/** Each vendor's own client from npm, pointed at the gateway; the events must land in the store with their ids. */

let gw: TestGateway;
const rawOf = (e: { raw?: string }) => JSON.parse(e.raw ?? 'null') as Record<string, unknown>;

beforeAll(async () => {
  gw = await startGateway({
    protocols: {
      segment: { enabled: true, writeKeys: [{ name: 'backend', key: 'seg-write-key', trustContext: true }] },
      snowplow: { enabled: true },
      posthog: { enabled: true, projectKeys: ['phc_project_key'] },
    },
  });
});
afterAll(async () => gw?.stop());

describe('@segment/analytics-node', () => {
  it('track, identify, page, group and alias land with messageId as the event id', async () => {
    const analytics = new Analytics({ writeKey: 'seg-write-key', host: gw.url, flushInterval: 10, maxRetries: 0 });
    const ids = { track: randomUUID(), identify: randomUUID(), page: randomUUID(), group: randomUUID(), alias: randomUUID() };
    const context = {
      ip: '203.0.113.9',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
      page: { url: 'https://shop.example.com/pricing', referrer: 'https://www.google.com/' },
      campaign: { name: 'spring', source: 'newsletter', medium: 'email' },
    };
    const errors: unknown[] = [];
    analytics.on('error', (err) => errors.push(err));
    analytics.track({ userId: 'user-42', anonymousId: 'anon-42', event: 'Order Completed', properties: { revenue: 30.5, items: [{ sku: 'A1' }] }, context, messageId: ids.track, timestamp: new Date('2024-05-01T10:00:00Z') });
    analytics.identify({ userId: 'user-42', traits: { plan: 'pro', email: 'Peter@Example.com' }, messageId: ids.identify });
    analytics.page({ anonymousId: 'anon-42', name: 'Pricing', properties: { url: 'https://shop.example.com/pricing' }, messageId: ids.page });
    analytics.group({ userId: 'user-42', groupId: 'acme', traits: { employees: 420 }, messageId: ids.group });
    analytics.alias({ userId: 'user-42', previousId: 'anon-42', messageId: ids.alias });
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(errors).toEqual([]);

    await gw.events(4, { uid: 'user-42' });
    await gw.events(1, { etyp: 'page', vid: 'anon-42' });
    const track = (await gw.store.queryEvents({ ename: 'Order Completed' }))[0];
    expect(track).toMatchObject({
      eid: ids.track, etyp: 'track', uid: 'user-42', vid: 'anon-42', origin: 'protocol',
      url: 'https://shop.example.com/pricing', campaign: 'spring', source: 'newsletter', medium: 'email',
      created: '2024-05-01T10:00:00.000Z', ip: '203.0.113.0', // context.ip, anonymized as configured by default
      ua_browser: 'Chrome', ref_host: 'www.google.com',
    });
    expect(track?.params).toMatchObject({ revenue: '30.5', items: '[{"sku":"A1"}]' });
    expect(rawOf(track ?? {})).toMatchObject({ messageId: ids.track, event: 'Order Completed', type: 'track' });

    const identify = (await gw.store.queryEvents({ etyp: 'identify' }))[0];
    expect(identify).toMatchObject({ eid: ids.identify, ename: 'identify', uid: 'user-42' });
    expect(identify?.params).toMatchObject({ plan: 'pro' });
    expect(identify?.params?.email).toBeUndefined();
    expect(identify?.ehash).toBeTruthy();
    expect(identify?.raw).not.toContain('Peter@Example.com');

    expect((await gw.store.queryEvents({ etyp: 'page' }))[0]).toMatchObject({ eid: ids.page, ename: 'Pricing', vid: 'anon-42' });
    expect((await gw.store.queryEvents({ etyp: 'group' }))[0]?.params).toMatchObject({ groupId: 'acme', employees: '420' });
    expect((await gw.store.queryEvents({ etyp: 'alias' }))[0]?.params).toMatchObject({ previousId: 'anon-42' });
  });
});

describe('@snowplow/node-tracker', () => {
  it('POST tp2: page view, structured and self-describing events with contexts, eid kept', async () => {
    const tracker = newTracker({ namespace: 'gh', appId: 'shop', encodeBase64: true }, { endpoint: gw.url, bufferSize: 3 });
    tracker.setDomainUserId('duid-0001');
    tracker.setSessionId('5f1e5c0e-0000-4000-8000-000000000001');
    tracker.setUserId('sp-user-1');
    tracker.track(buildPageView({ pageUrl: 'https://shop.example.com/?utm_source=ads&utm_campaign=x', pageTitle: 'Shop', referrer: 'https://duckduckgo.com/' }));
    tracker.track(buildStructEvent({ category: 'Mixes', action: 'Play', label: 'MRC/fabric-0503-mix', property: 'mp3', value: 0.0 }));
    tracker.track(
      buildSelfDescribingEvent({ event: { schema: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1', data: { targetUrl: 'https://example.com', elementId: 'cta' } } }),
      [{ schema: 'iglu:com.example_company/user/jsonschema/2-0-0', data: { userType: 'tester' } }],
    );
    await tracker.flush();

    const events = await gw.events(3, { uid: 'sp-user-1' });
    for (const e of events) {
      expect(e.eid).toBe(rawOf(e).eid);
      expect(e).toMatchObject({ vid: 'duid-0001', sid: '5f1e5c0e-0000-4000-8000-000000000001', app: 'shop', origin: 'protocol' });
    }
    expect(events.find((e) => e.ename === 'page_view')).toMatchObject({ etyp: 'page', url: 'https://shop.example.com/?utm_source=ads&utm_campaign=x', source: 'ads', campaign: 'x', ref_host: 'duckduckgo.com' });
    expect(events.find((e) => e.ename === 'Play')?.params).toMatchObject({ category: 'Mixes', label: 'MRC/fabric-0503-mix', property: 'mp3' });
    const click = events.find((e) => e.ename === 'link_click');
    expect(click?.params).toMatchObject({ targetUrl: 'https://example.com', elementId: 'cta', schema: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1', 'ctx.user': '{"userType":"tester"}' });
  });

  it('GET /i: the pixel form records the event and answers a GIF', async () => {
    const tracker = newTracker({ namespace: 'gh', appId: 'mail' }, { endpoint: gw.url, eventMethod: 'get' });
    tracker.setUserId('sp-user-get');
    tracker.track(buildStructEvent({ category: 'email', action: 'open' }));
    await tracker.flush();
    const [event] = await gw.events(1, { uid: 'sp-user-get' });
    expect(event).toMatchObject({ ename: 'open', etyp: 'track', app: 'mail' });
    expect(event?.eid).toBe(rawOf(event ?? {}).eid);
  });
});

describe('posthog-node', () => {
  it('captures (gzip, /batch/) land with uuid as the event id and distinct_id as the user', async () => {
    const client = new PostHog('phc_project_key', { host: gw.url, flushAt: 2, flushInterval: 0, fetchRetryCount: 0 });
    const ids = [randomUUID(), randomUUID()];
    client.capture({ distinctId: 'ph-user-1', event: 'signed_up', properties: { plan: 'team', $current_url: 'https://app.example.com/signup' }, uuid: ids[0] });
    client.capture({ distinctId: 'ph-user-1', event: '$pageview', properties: { $current_url: 'https://app.example.com/home', $session_id: 'ph-session-1' }, uuid: ids[1] });
    await client.shutdown();
    const events = await gw.events(2, { uid: 'ph-user-1' });
    expect(events.map((e) => e.eid).sort()).toEqual([...ids].sort());
    expect(events.find((e) => e.ename === 'signed_up')).toMatchObject({ etyp: 'track', url: 'https://app.example.com/signup', origin: 'protocol' });
    expect(events.find((e) => e.ename === 'signed_up')?.params).toMatchObject({ plan: 'team' });
    expect(events.find((e) => e.ename === '$pageview')).toMatchObject({ etyp: 'page', sid: 'ph-session-1' });
  });
});
