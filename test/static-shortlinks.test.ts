import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { staticSite, type StaticSite } from './fixtures/static/site.js';
import { startGateway } from './helpers/gateway.js';
import { startEcho } from './helpers/backends.js';
import { get } from 'node:http';

function httpGet(url: string, options: { headers: Record<string, string> }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

let site: StaticSite | undefined;
afterEach(async () => {
  await site?.close();
  site = undefined;
});

/** A stand-in for the link store: knows `promo`, records every slug it was asked about. */
function fakeLinks() {
  const asked: string[] = [];
  const shortLink = async (_request: FastifyRequest, reply: FastifyReply, slug: string) => {
    asked.push(slug);
    if (slug !== 'promo') return false;
    reply.redirect('https://example.com/promo', 302);
    return true;
  };
  return { asked, shortLink };
}

describe('root short links behind static files', () => {
  it('a single-segment path that is no file goes to the short-link resolver', async () => {
    const links = fakeLinks();
    site = await staticSite({ 'index.html': 'home' }, {}, { shortLink: links.shortLink });
    const res = await site.get('/promo');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('https://example.com/promo');
    expect(links.asked).toEqual(['promo']);
  });

  it('files and directories win over links; deeper paths, dotted names and slash forms never reach the resolver', async () => {
    const links = fakeLinks();
    site = await staticSite({ promo: 'a file named promo', 'docs/index.html': 'docs', 'a.txt': 'a' }, {}, { shortLink: links.shortLink });
    expect((await site.get('/promo')).body).toBe('a file named promo');
    expect((await site.get('/docs')).statusCode).toBe(308);
    expect((await site.get('/x/promo')).statusCode).toBe(404);
    expect((await site.get('/missing.txt')).statusCode).toBe(404);
    expect((await site.get('/promo2/')).statusCode).toBe(404);
    expect(links.asked).toEqual([]);
  });

  it('an unknown slug falls through to the SPA fallback, else to the 404 page', async () => {
    const links = fakeLinks();
    site = await staticSite({ 'index.html': 'app shell', '404.html': 'custom 404' }, { spaFallback: true }, { shortLink: links.shortLink });
    expect((await site.get('/promo')).statusCode).toBe(302);
    expect((await site.get('/dashboard', { accept: 'text/html' })).body).toBe('app shell');
    await site.close();
    site = await staticSite({ '404.html': 'custom 404' }, {}, { shortLink: links.shortLink });
    const res = await site.get('/nolink', { accept: 'text/html' });
    expect(res.statusCode).toBe(404);
    expect(res.body).toBe('custom 404');
    expect(links.asked).toEqual(['promo', 'dashboard', 'nolink']);
  });

  it('with static files disabled the root still resolves links', async () => {
    const links = fakeLinks();
    site = await staticSite({ 'index.html': 'home' }, { enabled: false }, { shortLink: links.shortLink });
    expect((await site.get('/promo')).statusCode).toBe(302);
    expect((await site.get('/index.html')).statusCode).toBe(404);
  });
});

describe('in the real gateway (main app)', () => {
  it('serves the configured root and resolves root short links from the link store', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gatehouse-static-gw-'));
    writeFileSync(join(root, 'index.html'), '<p>gateway home</p>');
    writeFileSync(join(root, 'taken'), 'a file, not a link');
    const gw = await startGateway({ static: { root } });
    try {
      const admin = (slug: string) =>
        fetch(`${gw.adminUrl}/admin/links`, { method: 'POST', body: JSON.stringify({ slug, url: 'https://example.com/landing' }), headers: { 'content-type': 'application/json' } });
      expect((await admin('launch')).status).toBe(201);
      expect((await admin('taken')).status).toBe(201);
      const link = await fetch(`${gw.url}/launch`, { redirect: 'manual' });
      expect(link.status).toBe(302);
      expect(link.headers.get('location')).toBe('https://example.com/landing');
      expect(await (await fetch(`${gw.url}/taken`)).text()).toBe('a file, not a link');
      const home = await fetch(`${gw.url}/`, { headers: { 'accept-encoding': 'identity' } });
      expect(await home.text()).toBe('<p>gateway home</p>');
      expect(home.headers.get('etag')).toMatch(/^"/);
      expect((await fetch(`${gw.url}/unknown-slug`)).status).toBe(404);
    } finally {
      await gw.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('with a proxy on the site root: a stored slug is a short link, every other path is proxied', async () => {
    const app = await startEcho('app');
    const other = await startEcho('other-host');
    const gw = await startGateway({
      static: { enabled: false },
      proxy: { routes: [{ path: '/', host: 'other.example', upstreams: [other.url] }, { path: '/', upstreams: [app.url] }] },
    });
    try {
      const created = await fetch(`${gw.adminUrl}/admin/links`, {
        method: 'POST',
        body: JSON.stringify({ slug: 'launch', url: 'https://example.com/landing' }),
        headers: { 'content-type': 'application/json' },
      });
      expect(created.status).toBe(201);
      const link = await fetch(`${gw.url}/launch`, { redirect: 'manual' });
      expect(link.status).toBe(302);
      expect(link.headers.get('location')).toBe('https://example.com/landing');
      // One-segment paths that are no link, deeper paths, other methods and the root reach the app.
      for (const [method, path] of [['GET', '/about'], ['HEAD', '/pricing'], ['GET', '/a/b'], ['POST', '/launch'], ['GET', '/']] as const) {
        const res = await fetch(`${gw.url}${path}`, { method, redirect: 'manual' });
        expect(res.status, `${method} ${path}`).toBe(200);
        if (method === 'GET') expect((await res.json()) as { name: string; url: string }).toMatchObject({ name: 'app', url: path });
      }
      // A host-bound proxy on the root gets the same: its links, then its upstream.
      // (node:http, not fetch: fetch sends the URL's host whatever the headers say.)
      const viaHost = (path: string) => httpGet(`${gw.url}${path}`, { headers: { host: 'other.example' } });
      expect((await viaHost('/launch')).status).toBe(302);
      const about = await viaHost('/about');
      expect(JSON.parse(about.body)).toMatchObject({ name: 'other-host', url: '/about' });
    } finally {
      await gw.stop();
      await app.stop();
      await other.stop();
    }
  });
});
