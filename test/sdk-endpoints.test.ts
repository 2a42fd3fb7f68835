import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import lzString from 'lz-string';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';

/**
 * What the browser SDKs need from the gateway besides their event routes, over real HTTP: CORS preflights on
 * every path they use, Segment's settings document, PostHog's remote config and flags, and PostHog bodies
 * decoded by what they are. The SDKs themselves run in browser-sdks.test.ts.
 */

const WRITE_KEY = 'wk_endpoint_test';
const SITE = 'https://shop.example.com';
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({
    tracking: { cors: { allowOrigins: ['*'] } },
    protocols: {
      segment: { enabled: true, writeKeys: [{ name: 'site', key: WRITE_KEY }] },
      snowplow: { enabled: true },
      posthog: { enabled: true, projectKeys: ['phc_known'] },
      ga4: { enabled: true, secrets: [{ measurementId: 'G-TEST1', apiSecret: 'ga-secret' }] },
    },
  });
});
afterAll(async () => gw?.stop());

const preflight = (url: string, headers = 'authorization,content-type') =>
  fetch(url, { method: 'OPTIONS', headers: { origin: SITE, 'access-control-request-method': 'POST', 'access-control-request-headers': headers } });

describe('CORS with allowOrigins ["*"]', () => {
  const paths = [
    '/tr/v1/', '/tr/v1/tr/', '/str/v1/', '/img/v1/', '/v1/t', '/v1/p', '/v1/i', '/v1/s', '/v1/g', '/v1/a', '/v1/b', '/v1/track', '/v1/batch',
    `/v1/projects/${WRITE_KEY}/settings`, '/com.snowplowanalytics.snowplow/tp2', '/i', '/e/', '/i/v0/e/', '/batch/', '/capture/',
    '/flags/', '/decide/', '/array/phc_known/config', '/array/phc_known/config.js', '/mp/collect',
  ];

  it.each(paths)('OPTIONS %s echoes the origin with credentials and allows the SDKs\' headers', async (path) => {
    const res = await preflight(`${gw.url}${path}`, 'authorization,content-type,accept,user');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toMatch(/Origin/);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'accept', 'user']));
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
  });

  it('the actual request gets the same headers; a request without Origin gets none', async () => {
    const res = await fetch(`${gw.url}/v1/t`, {
      method: 'POST',
      headers: { origin: SITE, authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ anonymousId: 'anon-cors-1', event: 'Cors Checked', messageId: randomUUID() }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    const plain = await fetch(`${gw.url}/flags/?v=2`);
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the admin listener never answers cross-origin requests', async () => {
    for (const method of ['OPTIONS', 'GET']) {
      const res = await fetch(`${gw.adminUrl}/api/events`, { method, headers: { origin: SITE, 'access-control-request-method': 'GET' } });
      expect(res.headers.get('access-control-allow-origin'), method).toBeNull();
      expect(res.headers.get('access-control-allow-credentials'), method).toBeNull();
    }
  });
});

describe('Segment settings (analytics-next)', () => {
  it('a known write key gets a document whose Segment.io integration points back at this gateway', async () => {
    const res = await fetch(`${gw.url}/v1/projects/${WRITE_KEY}/settings`);
    expect(res.status).toBe(200);
    const settings = (await res.json()) as { integrations: Record<string, Record<string, unknown>>; metrics: { sampleRate: number } };
    expect(Object.keys(settings.integrations)).toEqual(['Segment.io']);
    expect(settings.integrations['Segment.io']).toMatchObject({ apiKey: WRITE_KEY, apiHost: `${new URL(gw.url).host}/v1`, protocol: 'http' });
    expect(settings.metrics.sampleRate).toBe(0);
  });

  it('an unknown write key is a 404 with the JSON error body, counted so a mistyped key in a page shows on the server', async () => {
    const series = /^gatehouse_event_rejected_total\{reason="unknown_write_key",route="segment-settings"\} (\d+)$/m;
    const count = async () => Number(series.exec(await (await fetch(`${gw.adminUrl}/metrics`)).text())?.[1] ?? 0);
    const before = await count();
    const res = await fetch(`${gw.url}/v1/projects/wk_nobody/settings`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect(await count()).toBe(before + 1);
  });

  it('protocols.segment.collectorUrl names the public URL behind a TLS-terminating proxy', async () => {
    const other = await startGateway({
      protocols: { segment: { enabled: true, collectorUrl: 'https://collector.example.com/v1/', writeKeys: [{ name: 'site', key: WRITE_KEY }] } },
    });
    try {
      const settings = (await (await fetch(`${other.url}/v1/projects/${WRITE_KEY}/settings`)).json()) as { integrations: Record<string, unknown> };
      expect(settings.integrations['Segment.io']).toMatchObject({ apiHost: 'collector.example.com/v1', protocol: 'https' });
    } finally {
      await other.stop();
    }
  });
});

describe('PostHog (posthog-js)', () => {
  const event = (uuid: string, name: string) => ({ uuid, event: name, properties: { token: 'phc_known', distinct_id: 'ph-visitor', $device_id: 'ph-visitor', $current_url: 'https://shop.example.com/' } });

  it('a gzip body is recognised by its magic bytes, with no Content-Encoding and no compression parameter', async () => {
    const uuid = randomUUID();
    const res = await fetch(`${gw.url}/e/?ip=0&_=1&ver=1.449.2`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: gzipSync(JSON.stringify([event(uuid, 'gz_sniffed')])) });
    expect(res.status).toBe(200);
    expect((await gw.events(1, { ename: 'gz_sniffed' }))[0]?.eid).toBe(uuid);
  });

  it('compression=lz64 (lz-string), as a form and as a bare body', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const form = `data=${encodeURIComponent(lzString.compressToBase64(JSON.stringify([event(a, 'lz_form')])))}`;
    const r1 = await fetch(`${gw.url}/e/?compression=lz64`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    expect(r1.status).toBe(200);
    const r2 = await fetch(`${gw.url}/e/?compression=lz64`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: lzString.compressToBase64(JSON.stringify([event(b, 'lz_bare')])) });
    expect(r2.status).toBe(200);
    expect((await gw.events(1, { ename: 'lz_form' }))[0]?.eid).toBe(a);
    expect((await gw.events(1, { ename: 'lz_bare' }))[0]?.eid).toBe(b);
  });

  it('an lz64 body whose worst case would exceed inflatedLimit is refused with 413 before decoding', async () => {
    // lz-string's output grows with the square of its input: ~7.3k characters can hold 8 MB (a run of one letter).
    // The length alone decides, so the body need not be a real bomb (compressing one takes seconds).
    const bomb = 'BYUwNmD2Q'.padEnd(8000, 'A');
    const res = await fetch(`${gw.url}/e/?compression=lz64`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: bomb });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('/flags and /decide, GET and POST (plain or gzip), answer a document with no feature flags', async () => {
    const body = JSON.stringify({ token: 'phc_known', distinct_id: 'ph-visitor' });
    const answers = await Promise.all([
      fetch(`${gw.url}/flags/?v=2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
      fetch(`${gw.url}/flags/?v=2&compression=gzip-js`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: gzipSync(body) }),
      fetch(`${gw.url}/decide/?v=4`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
      fetch(`${gw.url}/flags?token=phc_known`),
      fetch(`${gw.url}/decide?token=phc_known`),
    ]);
    for (const res of answers) {
      expect(res.status, res.url).toBe(200);
      expect(await res.json()).toMatchObject({ flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false });
    }
    const unknown = await fetch(`${gw.url}/flags/?v=2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'phc_other' }) });
    expect(unknown.status).toBe(401);
  });

  it('/array/<token>/config and config.js give a minimal remote config; an unknown token is a 404', async () => {
    const json = await fetch(`${gw.url}/array/phc_known/config`);
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ token: 'phc_known', hasFeatureFlags: false, sessionRecording: false, siteApps: [] });
    const js = await fetch(`${gw.url}/array/phc_known/config.js`);
    expect(js.headers.get('content-type')).toMatch(/^application\/javascript/);
    const script = await js.text();
    const window: { _POSTHOG_REMOTE_CONFIG?: Record<string, { config: { token: string } }> } = {};
    new Function('window', script)(window);
    expect(window._POSTHOG_REMOTE_CONFIG?.phc_known?.config.token).toBe('phc_known');
    expect((await fetch(`${gw.url}/array/phc_other/config`)).status).toBe(404);
  });
});
