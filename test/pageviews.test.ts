import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({ tracking: { pageViews: { enabled: true } } });
});
afterAll(async () => gw?.stop());

describe('server-side page views', () => {
  it('an HTML page served by the gateway is recorded without any client script, with cookies set', async () => {
    const res = await fetch(`${gw.url}/?from=newsletter&utm_campaign=nov`, { headers: { referer: 'https://www.google.com/', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.getSetCookie().join(';')).toContain('vid=');
    const [event] = await gw.events(1, { ename: 'pageview' });
    expect(event).toMatchObject({ origin: 'pageview', etyp: 'page', campaign: 'nov', ref_host: 'www.google.com', channel: 'search' });
    expect(event?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?from=newsletter&utm_campaign=nov$/);
  });

  it('scripts, missing pages and tracking calls are not page views', async () => {
    expect((await fetch(`${gw.url}/track.js`)).status).toBe(200);
    expect((await fetch(`${gw.url}/no/such/page.html`)).status).toBe(404);
    await fetch(`${gw.url}/tr/v1/?ename=marker_after_assets`);
    await gw.events(1, { ename: 'marker_after_assets' });
    expect(await gw.store.countEvents({ ename: 'pageview' })).toBe(1);
  });
});
