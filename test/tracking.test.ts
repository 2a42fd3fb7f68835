import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { PIXEL_GIF } from '../src/track/routes/pixel.js';
import { signUrl } from '../src/track/links/sign.js';

const API_KEY = 'server-key-0123456789';
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({
    tracking: {
      apiKeys: [{ name: 'backend', key: API_KEY }],
      redirects: { allowHosts: ['example.com'], signingKey: 'link-signing-key' },
      cors: { allowOrigins: ['https://shop.example.com'] },
      limits: { maxParams: 5, bodyLimit: '4KB', maxBatch: 3 },
    },
    server: { trustedProxies: ['127.0.0.1'] },
  });
});
afterAll(async () => gw?.stop());

const get = (path: string, headers: Record<string, string> = {}) => fetch(gw.url + path, { headers, redirect: 'manual' });
const post = (path: string, body: string, type = 'application/json', headers: Record<string, string> = {}) =>
  fetch(gw.url + path, { method: 'POST', body, headers: { 'content-type': type, ...headers } });

describe('/tr/v1/ events', () => {
  it('GET with a query stores the event and sets vid/sid cookies', async () => {
    const res = await get('/tr/v1/?ename=signup&score=6&utm_source=Newsletter&plan=Pro&url=https://Shop.example.com/Pricing');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; ids: string[] };
    expect(body.ok).toBe(true);
    expect(body.ids).toHaveLength(1);
    const cookies = res.headers.getSetCookie().join('\n');
    expect(cookies).toMatch(/^vid=[\w-]+; Max-Age=31536000; Path=\/; SameSite=Lax$/m);
    expect(cookies).toMatch(/^sid=[\w-]+; Max-Age=1800; Path=\/; SameSite=Lax$/m);
    const [event] = await gw.events(1, { ename: 'signup' });
    expect(event).toMatchObject({ eid: body.ids[0], ename: 'signup', score: 6, source: 'Newsletter', origin: 'track', url: 'https://Shop.example.com/Pricing' });
    expect(event?.params).toMatchObject({ plan: 'Pro' });
    expect(event?.vid).toBe(/vid=([\w-]+)/.exec(cookies)?.[1]);
  });

  it('REST path tuples become fields', async () => {
    const res = await get('/tr/v1/vid/visitor-42/ename/tuple_event/score/7');
    expect(res.status).toBe(200);
    const [event] = await gw.events(1, { ename: 'tuple_event' });
    expect(event).toMatchObject({ vid: 'visitor-42', score: 7 });
  });

  it('POST JSON object, batch array and text/plain (sendBeacon) are stored with their ids', async () => {
    const one = await post('/tr/v1/', JSON.stringify({ ename: 'post_one', eid: 'client-made-id-1' }));
    expect(await one.json()).toEqual({ ok: true, ids: ['client-made-id-1'] });
    const batch = await post('/tr/v1/', JSON.stringify([{ ename: 'post_batch' }, { ename: 'post_batch' }]));
    expect(((await batch.json()) as { ids: string[] }).ids).toHaveLength(2);
    const beacon = await post('/tr/v1/', JSON.stringify([{ ename: 'post_beacon' }]), 'text/plain;charset=UTF-8');
    expect(beacon.status).toBe(200);
    await gw.events(2, { ename: 'post_batch' });
    await gw.events(1, { ename: 'post_beacon' });
  });

  it('a retried event with the same id is stored once', async () => {
    const body = JSON.stringify({ ename: 'retried', eid: 'retry-id-000001' });
    await post('/tr/v1/', body);
    await post('/tr/v1/', body);
    await post('/tr/v1/', JSON.stringify({ ename: 'after_retry' }));
    await gw.events(1, { ename: 'after_retry' });
    expect(await gw.store.countEvents({ ename: 'retried' })).toBe(1);
  });

  it('keeps values as sent (no lowercasing)', async () => {
    await get('/tr/v1/?ename=CaseKept&campaign=Black%20Friday');
    const [event] = await gw.events(1, { ename: 'CaseKept' });
    expect(event?.campaign).toBe('Black Friday');
  });

  it('CORS: preflight for listed origins allows the SDKs\' headers with credentials; others get no CORS headers', async () => {
    const ok = await fetch(`${gw.url}/tr/v1/`, { method: 'OPTIONS', headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, Accept, User, X-Retry-Count, SP-Anonymous');
    const other = await fetch(`${gw.url}/tr/v1/`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('bad input gets a clear 4xx and stores nothing', () => {
  it('malformed JSON → 400 naming the position', async () => {
    const res = await post('/tr/v1/', '{"ename": "x",,}');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; position: number } };
    expect(body.error.code).toBe('INVALID_JSON');
    expect(body.error.message).toMatch(/position \d+/);
  });

  it('body over the limit → 413', async () => {
    const res = await post('/tr/v1/', JSON.stringify({ ename: 'big', note: 'x'.repeat(5000) }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('wrong field types → 400 naming the fields', async () => {
    const res = await post('/tr/v1/', JSON.stringify({ ename: ['x'], score: 'high' }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { fields: { field: string }[] } };
    expect(body.error.fields.map((f) => f.field).sort()).toEqual(['ename', 'score']);
  });

  it('a batch with one bad item is rejected whole, with per-item errors', async () => {
    const res = await post('/tr/v1/', JSON.stringify([{ ename: 'batch_ok' }, { ename: 'batch_ok', w: 'wide' }]));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { items: { index: number }[] } };
    expect(body.error.items.map((i) => i.index)).toEqual([1]);
    await post('/tr/v1/', JSON.stringify({ ename: 'marker_after_bad_batch' }));
    await gw.events(1, { ename: 'marker_after_bad_batch' });
    expect(await gw.store.countEvents({ ename: 'batch_ok' })).toBe(0);
  });

  it('too many params, too large a batch, non-object items → 400', async () => {
    expect((await get('/tr/v1/?a=1&b=2&c=3&d=4&e=5&f=6')).status).toBe(400);
    expect((await post('/tr/v1/', JSON.stringify([{}, {}, {}, {}]))).status).toBe(400);
    expect((await post('/tr/v1/', '[1, "two"]')).status).toBe(400);
    expect((await post('/tr/v1/', '"just a string"')).status).toBe(400);
  });

  it('invalid UTF-8 in a body or a query → 400', async () => {
    const res = await fetch(`${gw.url}/tr/v1/`, { method: 'POST', body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_UTF8');
    expect((await get('/tr/v1/?ename=%C3%28')).status).toBe(400);
  });

  it('an unsupported content type → 415', async () => {
    const res = await post('/tr/v1/', 'ename=x', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
  });

  it('huge headers → 431 and the server keeps serving', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${gw.url}/tr/v1/?ename=huge`);
      const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers: { 'x-big': 'x'.repeat(64 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('rejects are counted by reason in /metrics', async () => {
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/gatehouse_event_rejected_total\{reason="invalid_fields",route="track"\} [1-9]/);
  });
});

describe('/str/v1/ server-side events', () => {
  it('needs an API key in a header', async () => {
    const res = await post('/str/v1/', JSON.stringify({ ename: 'server_evt' }));
    expect(res.status).toBe(401);
    const wrong = await post('/str/v1/', JSON.stringify({ ename: 'server_evt' }), 'application/json', { 'x-api-key': 'wrong-key-0123456789' });
    expect(wrong.status).toBe(401);
  });

  it('with a key, returns the event id and sets no cookie', async () => {
    const res = await post('/str/v1/', JSON.stringify({ ename: 'server_evt', uid: 'u-1' }), 'application/json', { 'x-api-key': API_KEY });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string };
    expect(res.headers.getSetCookie()).toEqual([]);
    const [event] = await gw.events(1, { ename: 'server_evt' });
    expect(event).toMatchObject({ eid: body.id, uid: 'u-1', origin: 'server' });
  });
});

describe('/img/v1/ email pixel', () => {
  const expectGif = async (res: Response) => {
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('cache-control')).toBe('no-store, no-cache, must-revalidate, private');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PIXEL_GIF);
  };

  it('serves the GIF, records the open, sets no cookie', async () => {
    const res = await get('/img/v1/?campaign=nov&uid=reader-1');
    await expectGif(res);
    expect(res.headers.getSetCookie()).toEqual([]);
    const [event] = await gw.events(1, { uid: 'reader-1' });
    expect(event).toMatchObject({ ename: 'open', etyp: 'email', origin: 'pixel', campaign: 'nov' });
  });

  it('fills the route defaults only where the client sent nothing', async () => {
    await expectGif(await get('/img/v1/?uid=reader-named&ename=second_open'));
    const [event] = await gw.events(1, { uid: 'reader-named' });
    expect(event).toMatchObject({ ename: 'second_open', etyp: 'email', origin: 'pixel' });
  });

  it('still serves the GIF for bad input, and records nothing', async () => {
    await expectGif(await get('/img/v1/?score=not-a-number&uid=reader-bad'));
    await expectGif(await get('/img/v1/?uid=%C3%28'));
    await get('/img/v1/?uid=reader-marker');
    await gw.events(1, { uid: 'reader-marker' });
    expect(await gw.store.countEvents({ uid: 'reader-bad' })).toBe(0);
  });

  it('records machine opens with their verdict', async () => {
    await get('/img/v1/?uid=reader-proxy', { 'user-agent': 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)' });
    const [event] = await gw.events(1, { uid: 'reader-proxy' });
    expect(event).toMatchObject({ bot: true, bot_kind: 'image-proxy' });
  });
});

describe('/rdr/v1/ tracked redirects', () => {
  it('302s to an allowlisted destination after recording the click', async () => {
    const res = await get(`/rdr/v1/?url=${encodeURIComponent('https://example.com/sale?x=1')}&campaign=c1`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://example.com/sale?x=1');
    const [event] = await gw.events(1, { url: 'https://example.com/sale?x=1' });
    expect(event).toMatchObject({ origin: 'redirect', ename: 'click', campaign: 'c1' });
  });

  it('302s to any destination with a valid signature', async () => {
    const dest = 'https://partner.example.net/offer';
    const res = await get(`/rdr/v1/?url=${encodeURIComponent(dest)}&sig=${signUrl(dest, 'link-signing-key')}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(dest);
  });

  it.each(['//evil.com', '/\\evil.com', 'https:evil.com', 'javascript:alert(1)', 'https://example.com@evil.com', 'https://evil.com'])(
    'refuses %s with a 400 page and no Location',
    async (dest) => {
      const res = await get(`/rdr/v1/?url=${encodeURIComponent(dest)}`, { accept: 'text/html' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('cannot be followed');
    },
  );
});

describe('short links', () => {
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(gw.adminUrl + path, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });

  it('are created, resolved with a recorded hit, updated, listed and deleted', async () => {
    expect((await admin('POST', '/admin/links', { slug: 'promo', url: 'https://example.com/a' })).status).toBe(201);
    let res = await get('/promo');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://example.com/a');
    const [hit] = await gw.events(1, { url: 'https://example.com/a' });
    expect(hit).toMatchObject({ origin: 'shortlink', content: 'promo' });

    expect((await admin('POST', '/admin/links', { slug: 'promo', url: 'https://example.com/b' })).status).toBe(200);
    res = await get('/promo');
    expect(res.headers.get('location')).toBe('https://example.com/b');

    const list = (await (await admin('GET', '/admin/links')).json()) as { links: { slug: string }[] };
    expect(list.links.map((l) => l.slug)).toContain('promo');
    expect((await admin('DELETE', '/admin/links/promo')).status).toBe(200);
    expect((await get('/promo')).status).toBe(404);
  });

  it('refuses unsafe destinations and bad slugs', async () => {
    expect((await admin('POST', '/admin/links', { slug: 'x', url: 'javascript:alert(1)' })).status).toBe(400);
    expect((await admin('POST', '/admin/links', { slug: '../etc', url: 'https://example.com' })).status).toBe(400);
  });

  it('static files win over links, and unknown paths are 404', async () => {
    expect((await get('/nonexistent-slug')).status).toBe(404);
  });
});

describe('privacy and client IP', () => {
  it('Sec-GPC: 1 anonymizes: no ids, no IP, no cookies', async () => {
    const res = await get('/tr/v1/?ename=gpc_event&vid=v-should-go', { 'sec-gpc': '1' });
    expect(res.headers.getSetCookie()).toEqual([]);
    const [event] = await gw.events(1, { ename: 'gpc_event' });
    expect(event?.vid).toBeUndefined();
    expect(event?.ip).toBeUndefined();
    expect(event?.gpc).toBe(true);
  });

  it('X-Forwarded-For is used only because the peer (127.0.0.1) is a configured trusted proxy', async () => {
    await get('/tr/v1/?ename=xff_event', { 'x-forwarded-for': '203.0.113.77' });
    const [event] = await gw.events(1, { ename: 'xff_event' });
    expect(event?.ip).toBe('203.0.113.0'); // truncated by default
  });
});
