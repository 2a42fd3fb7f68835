import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { waitFor } from './helpers/wait.js';
import { CREDENTIALS, basicAuth, ga4Path, noFollow, percentEncode, startIngestGateway } from './helpers/ingest.js';
import { ID_PATTERN, hashedId } from '../src/track/ids.js';
import { JSON_LIMITS } from '../src/track/json-shape.js';

/** Hostile input through the real server (issue 24, items 1-4, 8 and 12): each route, each body type. */

let gw: TestGateway;
beforeAll(async () => {
  gw = await startIngestGateway();
});
afterAll(async () => gw?.stop());

const eid = () => `hx-${randomUUID()}`;
const get = (path: string, init: RequestInit = {}) => fetch(gw.url + path, noFollow(init));
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(gw.url + path, noFollow({ method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } }));
const storedById = async (id: string) => (await gw.store.queryEvents({ limit: 10_000 })).filter((e) => e.eid === id);
const setCookies = (res: Response) => res.headers.getSetCookie();
const cookieValue = (res: Response, name: string) => setCookies(res).find((c) => c.startsWith(`${name}=`))?.split(';')[0]?.slice(name.length + 1);

describe('ids from a request become cookies and stored ids only as plain tokens (item 1)', () => {
  it('a tracked link cannot plant cookie attributes: the ids are replaced, the attributes are ours', async () => {
    const vid = 'ATTACKER; Domain=.example; Max-Age=315360000';
    const sid = 'S; HttpOnly';
    const res = await get(`/rdr/v1/?url=${encodeURIComponent('https://shop.test/')}&vid=${encodeURIComponent(vid)}&sid=${encodeURIComponent(sid)}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.test/');
    const cookies = setCookies(res);
    expect(cookies).toHaveLength(2);
    for (const c of cookies) {
      expect(c).not.toMatch(/ATTACKER|Domain|HttpOnly|315360000/);
      expect(c).toMatch(/^(vid|sid)=[^;]+; Max-Age=\d+; Path=\/; SameSite=Lax$/);
    }
    expect(cookieValue(res, 'vid')).toBe(hashedId(vid));
    expect(cookieValue(res, 'sid')).toBe(hashedId(sid));
    const [click] = await gw.events(1, { vid: hashedId(vid) });
    expect(click).toMatchObject({ origin: 'redirect', sid: hashedId(sid), url: 'https://shop.test/' });
  });

  it('query, REST tuple and JSON body ids are checked alike; valid ones are kept as sent', async () => {
    const bad = 'x"y,z\\w';
    const a = eid();
    const b = eid();
    const c = eid();
    expect((await get(`/tr/v1/?eid=${a}&vid=${encodeURIComponent(bad)}&uid=user:42@example.com`)).status).toBe(200);
    expect((await get(`/tr/v1/eid/${b}/vid/${encodeURIComponent(bad)}/did/dev-1`)).status).toBe(200);
    expect((await post('/tr/v1/', JSON.stringify({ eid: c, vid: 'GA1.2.3456.7890', uid: bad, sid: 'x'.repeat(129) }))).status).toBe(200);
    const [ea] = await storedOnce(a);
    const [eb] = await storedOnce(b);
    const [ec] = await storedOnce(c);
    expect(ea).toMatchObject({ vid: hashedId(bad), uid: 'user:42@example.com' });
    expect(eb).toMatchObject({ vid: hashedId(bad), did: 'dev-1' });
    expect(ec).toMatchObject({ vid: 'GA1.2.3456.7890', uid: hashedId(bad), sid: hashedId('x'.repeat(129)) });
    for (const e of [ea, eb, ec]) for (const id of [e?.vid, e?.sid, e?.uid, e?.did]) if (id) expect(id).toMatch(ID_PATTERN);
  });

  it('a cookie that is not a plain token is not read back: a new id is made', async () => {
    const res = await get(`/tr/v1/?eid=${eid()}`, { headers: { cookie: 'vid=a%3B%20Domain%3Dx; sid="q"' } });
    expect(res.status).toBe(200);
    expect(cookieValue(res, 'vid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(cookieValue(res, 'sid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a protocol id that is no plain token is replaced by its stable hash', async () => {
    const uuid = randomUUID();
    const res = await post('/capture', JSON.stringify({ api_key: CREDENTIALS.posthogKey, event: 'e', distinct_id: 'anon id; x', uuid, properties: { $device_id: 'anon id; x' } }));
    expect(res.status).toBe(200);
    const [e] = await storedOnce(uuid);
    expect(e?.vid).toBe(hashedId('anon id; x'));
  });
});

/** One request per route type with the given vid/sid; answers 2xx (or its redirect / GIF) and stores exactly once. */
const routeCases = (vid: string, sid: string) => {
  const q = `vid=${percentEncode(vid)}&sid=${percentEncode(sid)}`;
  const body = (id: string) => JSON.stringify({ eid: id, ename: 'x', vid, sid });
  return [
    { name: 'event GET', send: (id: string) => get(`/tr/v1/?eid=${id}&${q}`), status: 200 },
    { name: 'event POST', send: (id: string) => post('/tr/v1/', body(id)), status: 200 },
    { name: 'event POST text/plain', send: (id: string) => post('/tr/v1/', body(id), { 'content-type': 'text/plain' }), status: 200 },
    { name: 'event REST', send: (id: string) => get(`/tr/v1/eid/${id}/vid/${percentEncode(vid)}/sid/${percentEncode(sid)}`), status: 200 },
    { name: 'pixel', send: (id: string) => get(`/img/v1/?eid=${id}&${q}`), status: 200 },
    { name: 'redirect', send: (id: string) => get(`/rdr/v1/?url=${encodeURIComponent('https://shop.test/a')}&eid=${id}&${q}`), status: 302 },
    { name: 'short link', send: (id: string) => get(`/${CREDENTIALS.shortLink}?eid=${id}&${q}`), status: 302 },
    { name: 'server event', send: (id: string) => post('/str/v1/', body(id), { 'x-api-key': CREDENTIALS.apiKey }), status: 200 },
    {
      name: 'Segment',
      send: (id: string) => post('/v1/track', JSON.stringify({ messageId: id, event: 'x', anonymousId: vid, userId: sid }), { authorization: basicAuth(CREDENTIALS.segmentKey) }),
      status: 200,
    },
    {
      name: 'PostHog',
      send: (id: string) => post('/capture', JSON.stringify({ api_key: CREDENTIALS.posthogKey, uuid: id, event: 'x', distinct_id: vid, properties: { $session_id: sid } })),
      status: 200,
    },
    { name: 'Snowplow GET', send: (id: string) => get(`/i?e=pv&eid=${id}&duid=${percentEncode(vid)}&sid=${percentEncode(sid)}`), status: 200 },
    {
      name: 'Snowplow POST',
      send: (id: string) => post('/com.snowplowanalytics.snowplow/tp2', JSON.stringify({ schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4', data: [{ e: 'pv', eid: id, duid: vid, sid }] })),
      status: 200,
    },
    {
      name: 'GA4',
      send: (id: string) => post(ga4Path(), JSON.stringify({ client_id: vid, events: [{ name: 'x', params: { session_id: sid, fz: id } }] })),
      status: 204,
    },
  ];
};

async function storedOnce(id: string) {
  const matches = async () => (await gw.store.queryEvents({ limit: 10_000 })).filter((e) => e.eid === id || e.params?.fz === id);
  await waitForLength(matches, 1);
  return matches();
}

async function waitForLength<T>(probe: () => Promise<T[]>, n: number): Promise<void> {
  await waitFor(`${n} stored`, async () => (await probe()).length >= n);
}

describe('no 5xx once an event is stored (item 2)', () => {
  for (const [label, value] of [['NUL', 'a\u0000b'], ['DEL', 'a\u007fb'], ['emoji', 'a😀b'], ['CR LF', 'a\r\nSet-Cookie: x=y']] as const) {
    it(`vid/sid with ${label}: every route answers its 2xx or redirect and stores the event exactly once`, async () => {
      for (const route of routeCases(value, value)) {
        const id = eid();
        const res = await route.send(id);
        expect({ route: route.name, status: res.status }).toEqual({ route: route.name, status: route.status });
        for (const c of setCookies(res)) expect(c).toMatch(/^(vid|sid)=[A-Za-z0-9._~:@+=-]+; /);
        const stored = await storedOnce(id);
        expect({ route: route.name, copies: stored.length }).toEqual({ route: route.name, copies: 1 });
        if (stored[0]?.vid) expect(stored[0].vid).toMatch(ID_PATTERN);
      }
    });
  }
});

describe('deep nesting is a 400 naming the limit, before anything is stored (item 3)', () => {
  const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  const cases = (id: string, nested: string) => [
    { name: 'event POST', send: () => post('/tr/v1/', `{"eid":"${id}","params":${nested}}`) },
    { name: 'server event', send: () => post('/str/v1/', `{"eid":"${id}","params":${nested}}`, { 'x-api-key': CREDENTIALS.apiKey }) },
    { name: 'Segment properties', send: () => post('/v1/track', `{"messageId":"${id}","event":"x","anonymousId":"a","properties":${nested}}`, { authorization: basicAuth(CREDENTIALS.segmentKey) }) },
    { name: 'PostHog properties', send: () => post('/capture', `{"api_key":"${CREDENTIALS.posthogKey}","uuid":"${id}","event":"x","distinct_id":"d","properties":${nested}}`) },
    {
      name: 'PostHog base64 form',
      send: () =>
        fetch(gw.url + '/e/', noFollow({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `data=${encodeURIComponent(Buffer.from(`{"api_key":"${CREDENTIALS.posthogKey}","uuid":"${id}","event":"x","distinct_id":"d","properties":${nested}}`).toString('base64'))}` })),
    },
    { name: 'GA4 params', send: () => post(ga4Path(), `{"client_id":"c","events":[{"name":"x","params":{"fz":"${id}","n":${nested}}}]}`) },
    { name: 'Snowplow POST', send: () => post('/com.snowplowanalytics.snowplow/tp2', `{"data":[{"e":"pv","eid":"${id}","x":${nested}}]}`) },
    {
      name: 'Snowplow ue_pr',
      send: () => post('/com.snowplowanalytics.snowplow/tp2', JSON.stringify({ data: [{ e: 'ue', eid: id, ue_pr: `{"schema":"iglu:a/b/jsonschema/1-0-0","data":{"schema":"iglu:c/d/jsonschema/1-0-0","data":${nested}}}` }] })),
    },
  ];

  it('10,000 levels: 400 JSON_TOO_COMPLEX with the limit, nothing stored', async () => {
    const id = eid();
    for (const route of cases(id, deep(10_000))) {
      const res = await route.send();
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect({ route: route.name, status: res.status, code: body.error.code }).toEqual({ route: route.name, status: 400, code: 'JSON_TOO_COMPLEX' });
      expect(body.error.message).toContain(`${JSON_LIMITS.maxDepth} levels`);
    }
    await storedOnce((await sentinel()).id);
    expect(await storedById(id)).toEqual([]);
  });

  it('too many entries is a 400 naming that limit', async () => {
    const wide = `[${'0,'.repeat(JSON_LIMITS.maxEntries)}0]`;
    const res = await post('/tr/v1/', `{"eid":"${eid()}","params":${wide}}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'JSON_TOO_COMPLEX', limit: 'maxEntries', value: JSON_LIMITS.maxEntries } });
  });

  it('nesting within the limit is accepted where the route accepts objects', async () => {
    const id = eid();
    const res = await post('/v1/track', `{"messageId":"${id}","event":"x","anonymousId":"a","properties":{"p":${deep(JSON_LIMITS.maxDepth - 3)}}}`, { authorization: basicAuth(CREDENTIALS.segmentKey) });
    expect(res.status).toBe(200);
    expect((await storedOnce(id))[0]?.params?.p).toContain('{"a":{"a":');
  });

});

describe('an event larger than spool.maxEventSize is a 413 naming the limit, before anything is stored', () => {
  const LIMIT = 96_000; // the default
  /** `n` params of 2,000 characters: ~2 KB each as stored. */
  const params = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, String(i % 10).repeat(2_000)]));
  const big = params(50); // ~100 KB (tracking.limits.maxParams: 50)

  it('every route refuses the whole request with 413 EVENT_TOO_LARGE, sets no cookie, stores none of its events', async () => {
    const small = eid();
    const ids = { post: eid(), server: eid(), segment: eid(), posthog: eid(), snowplow: eid(), ga4: eid() };
    const cases = [
      { name: 'event POST batch', index: 1, send: () => post('/tr/v1/', JSON.stringify([{ eid: small, ename: 'ok' }, { eid: ids.post, ename: 'x', params: big }])) },
      { name: 'server event', index: 0, send: () => post('/str/v1/', JSON.stringify({ eid: ids.server, ename: 'x', params: big }), { 'x-api-key': CREDENTIALS.apiKey }) },
      {
        name: 'Segment batch',
        index: 1,
        send: () =>
          post('/v1/batch', JSON.stringify({ batch: [{ type: 'track', messageId: eid(), event: 'ok', anonymousId: 'a' }, { type: 'track', messageId: ids.segment, event: 'x', anonymousId: 'a', properties: big }] }), {
            authorization: basicAuth(CREDENTIALS.segmentKey),
          }),
      },
      { name: 'PostHog', index: 0, send: () => post('/capture', JSON.stringify({ api_key: CREDENTIALS.posthogKey, uuid: ids.posthog, event: 'x', distinct_id: 'd', properties: big })) },
      { name: 'Snowplow POST', index: 0, send: () => post('/com.snowplowanalytics.snowplow/tp2', JSON.stringify({ data: [{ e: 'pv', eid: ids.snowplow, ...params(50) }] })) },
      { name: 'GA4', index: 0, send: () => post(ga4Path(), JSON.stringify({ client_id: 'c', events: [{ name: 'x', params: { fz: ids.ga4, ...params(50) } }] })) },
    ];
    for (const route of cases) {
      const res = await route.send();
      const body = (await res.json()) as { error: { code: string; message: string; limit: number; size: number; index: number } };
      expect({ route: route.name, status: res.status, code: body.error.code, index: body.error.index, limit: body.error.limit }).toEqual({
        route: route.name,
        status: 413,
        code: 'EVENT_TOO_LARGE',
        index: route.index,
        limit: LIMIT,
      });
      expect(body.error.size).toBeGreaterThan(LIMIT);
      expect(body.error.message).toContain('spool.maxEventSize');
      expect(setCookies(res)).toEqual([]);
    }
    await storedOnce((await sentinel()).id);
    for (const id of [small, ...Object.values(ids)]) expect(await storedById(id)).toEqual([]);
    // Counted as refused, every event of the request once, by route.
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    const refused = (route: string) => Number(new RegExp(`^gatehouse_event_rejected_total\\{reason="event_too_large",route="${route}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    expect({ track: refused('track'), segment: refused('segment'), posthog: refused('posthog') }).toEqual({ track: 2, segment: 2, posthog: 1 });
  });

  it('an event within the limit is stored whole, and exports', async () => {
    const id = eid();
    const res = await post('/tr/v1/', JSON.stringify({ eid: id, ename: 'x', params: params(14) })); // ~29 KB
    expect(res.status).toBe(200);
    const [stored] = await storedOnce(id);
    expect(stored?.params).toEqual(params(14));
  });

  it('a Segment event at Segment\'s own limit (32 KB as sent) is accepted, though kept twice (params and raw)', async () => {
    const id = eid();
    const properties: Record<string, unknown> = {};
    for (let i = 0; JSON.stringify(properties).length < 30_000; i++) properties[`product_${i}`] = { name: `Item "${i}"`, sku: `SKU-${i}`, price: 19.99, note: 'gift wrap, "fragile"'.repeat(30) };
    const body = JSON.stringify({ type: 'track', messageId: id, event: 'Order Completed', anonymousId: 'a', properties });
    expect(body.length).toBeLessThan(32_000);
    expect((await post('/v1/track', body, { authorization: basicAuth(CREDENTIALS.segmentKey) })).status).toBe(200);
    const [stored] = await storedOnce(id);
    expect(Buffer.byteLength(JSON.stringify(stored))).toBeGreaterThan(60_000);
  });

  it('a pixel with long params is recorded and gets its GIF (its URL, bounded by the header limit, stays below the event limit)', async () => {
    const id = eid();
    const res = await get(`/img/v1/?eid=${id}&${new URLSearchParams(params(4)).toString()}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(await storedOnce(id)).toHaveLength(1);
  });
});

async function sentinel() {
  const id = eid();
  expect((await get(`/tr/v1/?eid=${id}&ename=sentinel`)).status).toBe(200);
  return { id };
}

describe('strings are well-formed Unicode when they enter the pipeline (item 4)', () => {
  it('a lone surrogate in a value or a key becomes U+FFFD, and every export format still works', async () => {
    const id = eid();
    const res = await post('/tr/v1/', `{"eid":"${id}","ename":"s\\ud800","params":{"k":"\\udfff","\\udc00key":"v","pair":"\\ud83d\\ude00"}}`);
    expect(res.status).toBe(200);
    const [e] = await storedOnce(id);
    expect(e?.ename).toBe('s\ufffd');
    expect(e?.params).toMatchObject({ k: '\ufffd', '\ufffdkey': 'v', pair: '😀' });
    await exportsWork();
  });

  it('hostile but well-formed values (controls, quotes, separators, formulas) are stored as sent and exported', async () => {
    const id = eid();
    const nasty = 'a\u0000b\u0001c\u007f\r\n"quoted",;\t\\ \u2028\u2029 =cmd|\' /C calc\'!A0 😀';
    const res = await post('/tr/v1/', JSON.stringify({ eid: id, ename: nasty, url: nasty, params: { [nasty]: nasty } }));
    expect(res.status).toBe(200);
    const [e] = await storedOnce(id);
    expect(e).toMatchObject({ ename: nasty, url: nasty, params: { [nasty]: nasty } });
    const ndjson = await exportsWork();
    expect(ndjson.split('\n').filter((l) => l.includes(id)).map((l) => (JSON.parse(l) as { ename: string }).ename)).toEqual([nasty]);
    const listing = await fetch(`${gw.adminUrl}/admin/events?limit=1000`);
    expect(listing.status).toBe(200);
    expect(JSON.stringify(await listing.json())).toContain(id);
  });
});

/** Every export format answers 200 with rows; returns the ndjson. */
async function exportsWork(): Promise<string> {
  let ndjson = '';
  for (const format of ['ndjson', 'csv', 'parquet']) {
    const res = await fetch(`${gw.adminUrl}/admin/export?format=${format}`);
    const body = Buffer.from(await res.arrayBuffer());
    expect({ format, status: res.status }).toEqual({ format, status: 200 });
    expect(Number(res.headers.get('x-gatehouse-rows'))).toBeGreaterThan(0);
    if (format === 'ndjson') ndjson = body.toString('utf8');
  }
  return ndjson;
}

describe('JavaScript built-in names are data (item 12)', () => {
  it('PostHog events named like Object.prototype members are stored under their names', async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const uuid = randomUUID();
      const res = await post('/capture', JSON.stringify({ api_key: CREDENTIALS.posthogKey, event: name, distinct_id: 'd-1', uuid }));
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
      const [e] = await storedOnce(uuid);
      expect(e).toMatchObject({ ename: name, etyp: 'track' });
    }
  });

  it('Snowplow event kinds and PII-like keys with built-in names are data too', async () => {
    const id = eid();
    expect((await get(`/i?e=constructor&eid=${id}&duid=d`)).status).toBe(200);
    const [e] = await storedOnce(id);
    expect(e).toMatchObject({ ename: 'constructor', etyp: 'constructor' });
  });

  it('__proto__, constructor and toString as query and REST keys are stored as param keys', async () => {
    const a = eid();
    const b = eid();
    expect((await get(`/tr/v1/?eid=${a}&__proto__=p&constructor=c&toString=t`)).status).toBe(200);
    expect((await get(`/tr/v1/eid/${b}/__proto__/p/hasOwnProperty/h`)).status).toBe(200);
    const [ea] = await storedOnce(a);
    const [eb] = await storedOnce(b);
    expect(Object.entries(ea?.params ?? {}).sort()).toEqual([['__proto__', 'p'], ['constructor', 'c'], ['toString', 't']]);
    expect(Object.entries(eb?.params ?? {}).sort()).toEqual([['__proto__', 'p'], ['hasOwnProperty', 'h']]);
    expect(({} as Record<string, unknown>).p).toBeUndefined();
  });

  it('a JSON body with a __proto__ or constructor.prototype key is refused with a clear 400, never dropped', async () => {
    for (const body of [
      `{"eid":"${eid()}","params":{"__proto__":"x"}}`,
      `{"eid":"${eid()}","__proto__":{"polluted":"yes"}}`,
      `{"eid":"${eid()}","params":{"constructor":{"prototype":{"polluted":"yes"}}}}`,
    ]) {
      const res = await post('/tr/v1/', body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'FORBIDDEN_KEY' } });
    }
    const res = await post('/capture', `{"api_key":"${CREDENTIALS.posthogKey}","event":"x","distinct_id":"d","properties":{"__proto__":{"polluted":"yes"}}}`);
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('Secure cookies behind a trusted TLS-terminating proxy (item 8)', () => {
  let proxied: TestGateway;
  beforeAll(async () => {
    proxied = await startGateway({ server: { listen: { host: '127.0.0.1', port: 0 }, trustedProxies: ['127.0.0.1'] } });
  });
  afterAll(async () => proxied?.stop());
  const secureFlags = async (g: TestGateway, headers: Record<string, string>) => {
    const res = await fetch(`${g.url}/tr/v1/?ename=x`, { headers });
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    return cookies.map((c) => /; Secure(;|$)/.test(c));
  };

  it('X-Forwarded-Proto: https (or Forwarded: proto=https) from a trusted peer makes the cookies Secure', async () => {
    expect(await secureFlags(proxied, { 'x-forwarded-proto': 'https' })).toEqual([true, true]);
    expect(await secureFlags(proxied, { forwarded: 'for=203.0.113.7;proto=https' })).toEqual([true, true]);
    expect(await secureFlags(proxied, { 'x-forwarded-proto': 'http' })).toEqual([false, false]);
    expect(await secureFlags(proxied, {})).toEqual([false, false]);
  });

  it('the same header from a peer that is not a trusted proxy changes nothing', async () => {
    expect(await secureFlags(gw, { 'x-forwarded-proto': 'https' })).toEqual([false, false]);
    expect(await secureFlags(gw, { forwarded: 'proto=https' })).toEqual([false, false]);
  });
});
