import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { startReceiver, type Receiver } from './helpers/receivers.js';
import { waitFor } from './helpers/wait.js';

/**
 * The Vector events router's documented routing, as Gatehouse routing rules (docs/sources.md): `$identify` →
 * PostHog; `Sign Up`, `Page View`, `Request Demo` → Mixpanel; `Purchase` with utm_source → both, without →
 * Mixpanel. Events go in through the Vector preset's POST /collect of a real gateway, are stored, then forwarded
 * to real HTTP receivers that check PostHog's /batch/ and Mixpanel's /import formats and count what they got.
 */

const examples = JSON.parse(readFileSync(new URL('./fixtures/sources/vector.json', import.meta.url), 'utf8')) as Record<string, Record<string, unknown>>;
let gw: TestGateway;
let posthog: Receiver;
let mixpanel: Receiver;

beforeAll(async () => {
  [posthog, mixpanel] = await Promise.all([startReceiver('posthog', { apiKey: 'phc_marketing' }), startReceiver('mixpanel', { basicAuth: 'mp-secret:' })]);
  const fast = { batchWait: '20ms', retryMin: '20ms', retryMax: '200ms' };
  gw = await startGateway({
    protocols: { vector: { enabled: true } },
    destinations: {
      posthog: [{ name: 'marketing', url: posthog.url, apiKey: 'phc_marketing', match: [{ ename: ['$identify'] }, { ename: ['Purchase'], has: ['source'] }], ...fast }],
      mixpanel: [{ name: 'analytics', url: mixpanel.url, secret: 'mp-secret', match: [{ ename: ['Sign Up', 'Page View', 'Request Demo', 'Purchase'] }], ...fast }],
    },
  });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([posthog?.close(), mixpanel?.close()]);
});

const collect = async (body: Record<string, unknown>) => {
  const messageId = randomUUID();
  const res = await fetch(`${gw.url}/collect`, { method: 'POST', body: JSON.stringify({ ...body, messageId }), headers: { 'content-type': 'application/json' } });
  expect(res.status).toBe(200);
  return messageId;
};

describe('the Vector router routing example as destination rules', () => {
  it('each vendor receives exactly the events its rules select, in its own format', async () => {
    const ids = {
      identify: await collect(examples.identify ?? {}),
      signUp: await collect(examples.signUp ?? {}),
      pageView: await collect(examples.pageView ?? {}),
      requestDemo: await collect(examples.requestDemo ?? {}),
      purchaseUtm: await collect(examples.purchaseUtm ?? {}),
      purchase: await collect({ event: 'Purchase', userId: 'user123', properties: { value: 19.99 } }),
      other: await collect({ event: 'Session Start', userId: 'user123' }),
    };
    await gw.events(7, { uid: 'user123' });
    // A last event both rules select: once both have it, everything sent before it has been delivered.
    const marker = await collect({ event: 'Purchase', userId: 'user123', properties: { utm_source: 'marker' } });
    await waitFor('the marker at PostHog and Mixpanel', () => posthog.acceptedIds().includes(marker) && mixpanel.acceptedIds().includes(marker));

    expect(posthog.acceptedIds().sort()).toEqual([ids.identify, ids.purchaseUtm, marker].sort());
    expect(mixpanel.acceptedIds().sort()).toEqual([ids.signUp, ids.pageView, ids.requestDemo, ids.purchaseUtm, ids.purchase, marker].sort());
    expect(posthog.violations).toEqual([]);
    expect(mixpanel.violations).toEqual([]);

    const ph = (id: string) => posthog.accepted().find((e) => e.uuid === id);
    expect(ph(ids.identify)).toMatchObject({ event: '$identify', distinct_id: 'user123', properties: { $name: 'John Doe' } });
    expect((ph(ids.identify)?.properties as Record<string, unknown>).$email).toBeUndefined();
    expect(ph(ids.purchaseUtm)).toMatchObject({ event: 'Purchase', distinct_id: 'user123', properties: { source: 'google', value: '99.99' } });
    const mp = (id: string) => mixpanel.accepted().find((e) => (e.properties as Record<string, unknown>).$insert_id === id);
    expect(mp(ids.signUp)).toMatchObject({ event: 'Sign Up', properties: { distinct_id: 'user123', Country: 'United States', OS: 'macOS', Source: 'Website' } });
    expect(mp(ids.requestDemo)).toMatchObject({ event: 'Request Demo', properties: { 'Contact Method': 'Form' } });
    expect(mp(ids.purchase)).toMatchObject({ event: 'Purchase', properties: { value: '19.99' } });
    expect(mp(ids.purchase)?.properties).not.toHaveProperty('source');
  });
});
