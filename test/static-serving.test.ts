import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { staticSite, type StaticSite } from './fixtures/static/site.js';

let site: StaticSite | undefined;
afterEach(async () => {
  await site?.close();
  site = undefined;
});

const html = { accept: 'text/html,application/xhtml+xml' };
const big = 'x'.repeat(300_000); // above cache.maxFileSize: streamed from disk

describe('static files: types, index, redirects', () => {
  it('sends the right Content-Type, with a charset for text only', async () => {
    site = await staticSite({ 'a.css': 'body{}', 'b.js': 'let a', 'c.png': Buffer.from([137, 80, 78, 71]), 'd.unknownext': 'z' });
    expect((await site.get('/a.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await site.get('/b.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await site.get('/c.png')).headers['content-type']).toBe('image/png');
    expect((await site.get('/d.unknownext')).headers['content-type']).toBe('application/octet-stream');
  });

  it('serves the directory index, and redirects a directory without its slash with 308 (query kept)', async () => {
    site = await staticSite({ 'index.html': '<p>home</p>', 'docs/index.html': '<p>docs</p>' });
    expect((await site.get('/')).body).toBe('<p>home</p>');
    expect((await site.get('/docs/')).body).toBe('<p>docs</p>');
    const res = await site.get('/docs?x=1');
    expect(res.statusCode).toBe(308);
    expect(res.headers.location).toBe('/docs/?x=1');
  });

  it('tries the configured index names in order, and 404s a directory without one', async () => {
    site = await staticSite({ 'a/default.htm': 'default', 'a/index.html': 'index', 'empty/x.txt': 'x' }, { index: ['default.htm', 'index.html'] });
    expect((await site.get('/a/')).body).toBe('default');
    expect((await site.get('/empty/')).statusCode).toBe(404);
  });

  it('a file with a trailing slash is not found', async () => {
    site = await staticSite({ 'a.txt': 'a' });
    expect((await site.get('/a.txt/')).statusCode).toBe(404);
  });

  it('HEAD has the headers of GET and no body', async () => {
    site = await staticSite({ 'a.txt': 'hello', 'big.txt': big });
    const head = await site.inject({ method: 'HEAD', url: '/a.txt' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('5');
    expect(head.headers.etag).toBe((await site.get('/a.txt')).headers.etag);
    expect(head.body).toBe('');
    const bigHead = await site.inject({ method: 'HEAD', url: '/big.txt', headers: { 'accept-encoding': 'identity' } });
    expect(bigHead.headers['content-length']).toBe(String(big.length));
    expect(bigHead.body).toBe('');
  });

  it('streams large files with byte ranges, and ignores a Range whose If-Range no longer matches', async () => {
    site = await staticSite({ 'big.txt': `0123456789${big}` });
    const ranged = await site.get('/big.txt', { range: 'bytes=2-5' });
    expect(ranged.statusCode).toBe(206);
    expect(ranged.body).toBe('2345');
    expect(ranged.headers['content-range']).toBe(`bytes 2-5/${big.length + 10}`);
    const full = await site.get('/big.txt');
    expect(full.statusCode).toBe(200);
    expect(full.body.length).toBe(big.length + 10);
    const stale = await site.get('/big.txt', { range: 'bytes=2-5', 'if-range': '"not-the-current-tag"' });
    expect(stale.statusCode).toBe(200);
    const current = await site.get('/big.txt', { range: 'bytes=2-5', 'if-range': String(full.headers.etag) });
    expect(current.statusCode).toBe(206);
  });

  it('answers byte ranges of small (cached) files too', async () => {
    site = await staticSite({ 'a.txt': 'abcdefgh' });
    const res = await site.get('/a.txt', { range: 'bytes=-3' });
    expect(res.statusCode).toBe(206);
    expect(res.body).toBe('fgh');
  });
});

describe('fallbacks', () => {
  it('SPA fallback: an unknown path without an extension gets the root index; with an extension it is a 404', async () => {
    site = await staticSite({ 'index.html': '<div id=app>' }, { spaFallback: true });
    const res = await site.get('/users/42/settings', html);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('<div id=app>');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect((await site.get('/missing.js')).statusCode).toBe(404);
  });

  it('without spaFallback an unknown path is a 404', async () => {
    site = await staticSite({ 'index.html': '<div id=app>' });
    expect((await site.get('/users/42', html)).statusCode).toBe(404);
  });

  it('the custom 404 page goes to HTML clients with status 404; API clients get the JSON error', async () => {
    site = await staticSite({ '404.html': '<h1>custom missing</h1>' });
    const page = await site.get('/nope/nothing.html', html);
    expect(page.statusCode).toBe(404);
    expect(page.body).toBe('<h1>custom missing</h1>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const api = await site.get('/nope/nothing.html', { accept: 'application/json' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('a custom notFoundPage name is used; without the file the built-in page is sent', async () => {
    site = await staticSite({ 'missing.html': 'my missing page' }, { notFoundPage: 'missing.html' });
    expect((await site.get('/x/y', html)).body).toBe('my missing page');
    await site.close();
    site = await staticSite({}, { notFoundPage: 'missing.html' });
    const res = await site.get('/x/y', html);
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('<h1>Not found</h1>');
  });
});

describe('per-host roots', () => {
  it('serves each configured host from its own root, any port and case; other hosts get the default root', async () => {
    const docs = mkdtempSync(join(tmpdir(), 'gatehouse-static-docs-'));
    writeFileSync(join(docs, 'index.html'), 'docs site');
    try {
      site = await staticSite({ 'index.html': 'main site' }, { hosts: [{ host: 'docs.example.com', root: docs }, { host: '*.blog.example.com', root: docs }] });
      expect((await site.get('/', { host: 'docs.example.com' })).body).toBe('docs site');
      expect((await site.get('/', { host: 'DOCS.example.com:8443' })).body).toBe('docs site');
      expect((await site.get('/', { host: 'ann.blog.example.com' })).body).toBe('docs site');
      expect((await site.get('/', { host: 'www.example.com' })).body).toBe('main site');
      expect((await site.get('/', { host: 'a.b.blog.example.com' })).body).toBe('main site');
    } finally {
      rmSync(docs, { recursive: true, force: true });
    }
  });
});
