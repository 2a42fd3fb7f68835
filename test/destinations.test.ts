import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { startReceiver, type Receiver } from './helpers/receivers.js';
import { waitFor } from './helpers/wait.js';

/** Embedded mode: stored events are forwarded to each destination its rules select, in the vendor's format. */

const API_KEY = 'server-key-0123456789';
let gw: TestGateway;
let posthog: Receiver;
let mixpanel: Receiver;
let amplitude: Receiver;
let hook: Receiver;

beforeAll(async () => {
  [posthog, mixpanel, amplitude, hook] = await Promise.all([
    startReceiver('posthog', { apiKey: 'phc_dest_key' }),
    startReceiver('mixpanel', { basicAuth: 'mp-project-secret:' }),
    startReceiver('amplitude', { apiKey: 'amp-key' }),
    startReceiver('webhook', { secret: 'whsec-test', path: '/hook' }),
  ]);
  const fast = { batchWait: '20ms', retryMin: '20ms', retryMax: '200ms' };
  gw = await startGateway({
    tracking: { apiKeys: [{ name: 'backend', key: API_KEY }] },
    destinations: {
      posthog: [{ name: 'product', url: posthog.url, apiKey: 'phc_dest_key', match: [{ origin: ['server', 'protocol'] }], ...fast }],
      mixpanel: [{ name: 'funnels', url: mixpanel.url, secret: 'mp-project-secret', token: 'mp-token', match: [{ ename: ['purchase', 'signup*'] }], ...fast }],
      amplitude: [{ name: 'growth', url: amplitude.url, apiKey: 'amp-key', match: [{ fields: { 'params.plan': ['pro'] } }], ...fast }],
      webhooks: [{ name: 'billing', url: `${hook.url}/hook`, secret: 'whsec-test', match: [{ ename: ['purchase'] }, { has: ['source'] }], ...fast }],
    },
  });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([posthog, mixpanel, amplitude, hook].map((r) => r?.close()));
});

const send = (events: Record<string, unknown>[], path = '/str/v1/') =>
  fetch(gw.url + path, { method: 'POST', body: JSON.stringify(events), headers: { 'content-type': 'application/json', 'x-api-key': API_KEY } });
const has = (r: Receiver, ids: string[]) => ids.every((id) => r.acceptedIds().includes(id));

describe('destinations', () => {
  it('each vendor gets its documented format, with the default field mapping', async () => {
    const purchase = randomUUID();
    const res = await send([{ eid: purchase, ename: 'purchase', uid: 'user-00042', vid: 'visitor-0042', url: 'https://shop.example.com/cart', created: '2024-05-01T10:00:00.000Z', params: { plan: 'pro', amount: '30' } }]);
    expect(res.status).toBe(200);
    for (const r of [posthog, mixpanel, amplitude, hook]) await waitFor(`${r.kind} receives the purchase`, () => has(r, [purchase]));

    const ph = posthog.accepted().find((e) => e.uuid === purchase);
    expect(ph).toMatchObject({ event: 'purchase', distinct_id: 'user-00042', timestamp: '2024-05-01T10:00:00.000Z' });
    expect(ph?.properties).toMatchObject({ plan: 'pro', amount: '30', vid: 'visitor-0042', $current_url: 'https://shop.example.com/cart', origin: 'server' });
    expect(ph?.properties).not.toHaveProperty('raw');

    const mp = mixpanel.accepted().find((e) => (e.properties as Record<string, unknown>).$insert_id === purchase);
    expect(mp).toMatchObject({ event: 'purchase', properties: { distinct_id: 'user-00042', time: Date.parse('2024-05-01T10:00:00.000Z'), token: 'mp-token', plan: 'pro' } });

    const amp = amplitude.accepted().find((e) => e.insert_id === purchase);
    expect(amp).toMatchObject({ event_type: 'purchase', user_id: 'user-00042', device_id: 'visitor-0042', time: Date.parse('2024-05-01T10:00:00.000Z'), event_properties: { plan: 'pro' } });

    const wh = hook.accepted().find((e) => e.eid === purchase);
    expect(wh).toMatchObject({ eid: purchase, ename: 'purchase', uid: 'user-00042', origin: 'server', params: { plan: 'pro', amount: '30' } });
    expect(typeof wh?.received).toBe('string');
    for (const r of [posthog, mixpanel, amplitude, hook]) expect(r.violations).toEqual([]);
  });

  it('routes an event to every destination whose rules match, and a non-matching one to none', async () => {
    const signup = randomUUID();
    const page = randomUUID();
    await send([
      { eid: signup, ename: 'signup_started', vid: 'visitor-0043', source: 'newsletter' },
      { eid: page, ename: 'page', vid: 'visitor-0044' },
    ]);
    await waitFor('signup at posthog, mixpanel and the webhook', () => has(posthog, [signup, page]) && has(mixpanel, [signup]) && has(hook, [signup]));

    // Origin "track" matches no PostHog rule; ename "noise" no other rule.
    const noise = randomUUID();
    expect((await fetch(`${gw.url}/tr/v1/?ename=noise&eid=${noise}`)).status).toBe(200);
    await gw.events(1, { ename: 'noise' });
    const marker = randomUUID();
    await fetch(`${gw.url}/tr/v1/?ename=purchase&eid=${marker}&uid=marker-user`);
    await waitFor('the marker at mixpanel and the webhook', () => has(mixpanel, [marker]) && has(hook, [marker]));

    expect(amplitude.acceptedIds()).not.toContain(signup);
    expect(amplitude.acceptedIds()).not.toContain(page);
    expect(mixpanel.acceptedIds()).not.toContain(page);
    expect(hook.acceptedIds()).not.toContain(page);
    for (const r of [posthog, mixpanel, amplitude, hook]) expect(r.acceptedIds()).not.toContain(noise);
    expect(posthog.acceptedIds()).not.toContain(marker);

    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/gatehouse_destination_sent_total\{destination="billing"\} [3-9]/);
    expect(metrics).toMatch(/gatehouse_destination_pending_events\{destination="billing"\} \d+/);
  });
});
