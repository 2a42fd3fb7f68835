import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsReport } from '../src/sinks/duckdb/index.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { CHROME_UA, admin } from './admin-support.js';

// A fresh config has no .mmdb configured: the bundled IP-to-country database still gives events their country,
// so the dashboard's country report works out of the box.
let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({ server: { trustedProxies: ['127.0.0.1'] } });
});
afterAll(async () => gw?.stop());

describe('countries with no GeoIP database configured', () => {
  it('stores the country of the client address and reports it', async () => {
    for (const [vid, ip] of [['nl-visitor', '193.0.6.139'], ['us-visitor', '8.8.8.8'], ['lan-visitor', '10.1.2.3']]) {
      const res = await fetch(`${gw.url}/tr/v1/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': CHROME_UA, 'x-forwarded-for': ip as string },
        body: JSON.stringify({ ename: 'view', vid }),
      });
      expect(res.status).toBe(200);
    }
    const events = await gw.events(3);
    const countryOf = (vid: string) => events.find((e) => e.vid === vid)?.country;
    expect(countryOf('nl-visitor')).toBe('NL');
    expect(countryOf('us-visitor')).toBe('US');
    expect(countryOf('lan-visitor')).toBeFalsy();
    const { body } = await admin<StatsReport>(gw, '/admin/stats?reports=countries');
    expect(body.countries).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'NL', events: 1 }), expect.objectContaining({ key: 'US', events: 1 })]));
  });
});
