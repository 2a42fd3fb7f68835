import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({ admin: { listen: { host: '127.0.0.1', port: 0 }, hosts: ['ops.internal.example'] } });
});
afterAll(async () => gw?.stop());

/** An admin request with the Host (and Origin) a browser would send: fetch() cannot set Host. */
function call(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: { error?: { code: string } } }> {
  const u = new URL(gw.adminUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, method, path, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as { error?: { code: string } }) : {} }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const port = () => new URL(gw.adminUrl).port;
const link = (slug: string) => ({ slug, url: 'https://attacker.example/landing' });

describe('admin listener without a token: DNS-rebinding guard', () => {
  it('a rebound Host (a foreign name that resolved to loopback) gets 403 and creates nothing', async () => {
    const res = await call('POST', '/admin/links', { host: `rebind.evil.example:${port()}` }, link('rebound'));
    expect(res).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN_HOST' } } });
    // Reads are refused too: the data must not leak to the foreign page either.
    expect((await call('GET', '/admin/events', { host: 'rebind.evil.example' })).status).toBe(403);
    const list = (await call('GET', '/admin/links', { host: `127.0.0.1:${port()}` })).body as { links?: { slug: string }[] };
    expect(list.links?.map((l) => l.slug)).not.toContain('rebound');
  });

  it('loopback names and addresses, and admin.hosts, are served', async () => {
    for (const host of [`127.0.0.1:${port()}`, `localhost:${port()}`, 'LOCALHOST', `[::1]:${port()}`, '127.1.2.3', 'ops.internal.example:9100']) {
      expect((await call('GET', '/admin/events', { host })).status, host).toBe(200);
    }
    for (const host of ['127.0.0.1.evil.example', 'localhost.evil.example', '0x7f000001', '2130706433', 'ops.internal.example.evil.example']) {
      expect((await call('GET', '/admin/events', { host })).status, host).toBe(403);
    }
  });

  it('a mutation needs no Origin or the same origin', async () => {
    const host = `127.0.0.1:${port()}`;
    expect((await call('POST', '/admin/links', { host }, link('no-origin'))).status).toBe(201);
    expect((await call('POST', '/admin/links', { host, origin: `http://${host}` }, link('same-origin'))).status).toBe(201);
    for (const origin of ['http://evil.example', `http://localhost:${port()}`, 'null', `http://${host}.evil.example`]) {
      const res = await call('POST', '/admin/links', { host, origin }, link('cross-origin'));
      expect(res, origin).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN_ORIGIN' } } });
    }
    expect((await call('DELETE', '/admin/links/no-origin', { host, origin: 'http://evil.example' })).status).toBe(403);
    const list = (await call('GET', '/admin/links', { host })).body as { links?: { slug: string }[] };
    expect(list.links?.map((l) => l.slug).sort()).toEqual(['no-origin', 'same-origin']);
    // A read from another origin is not a change (the browser's same-origin policy keeps its answer from the page).
    expect((await call('GET', '/admin/events', { host, origin: 'http://evil.example' })).status).toBe(200);
  });
});

describe('admin listener with a token', () => {
  it('the token is the check: any Host with the right token is served', async () => {
    const secured = await startGateway({ admin: { listen: { host: '127.0.0.1', port: 0 }, token: 'admin-secret-token-2' } });
    try {
      const u = new URL(secured.adminUrl);
      const res = await new Promise<number>((resolve, reject) => {
        request({ host: u.hostname, port: u.port, path: '/admin/events', headers: { host: 'admin.example', authorization: 'Bearer admin-secret-token-2' } }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(res).toBe(200);
    } finally {
      await secured.stop();
    }
  });
});
