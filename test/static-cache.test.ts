import { afterEach, describe, expect, it } from 'vitest';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { staticSite, type StaticSite } from './fixtures/static/site.js';

let site: StaticSite | undefined;
afterEach(async () => {
  await site?.close();
  site = undefined;
});

const HIT = 'gatehouse_static_cache_hit_total';
const MISS = 'gatehouse_static_cache_miss_total';
const T0 = 1_700_000_000; // a fixed mtime (seconds), so validators are predictable
const css = `body { color: red; }\n${'.rule { margin: 0 auto; padding: 1px; }\n'.repeat(100)}`;
const identity = { 'accept-encoding': 'identity' };
const bodyOf = (res: { rawPayload: Buffer }) => res.rawPayload;

describe('in-memory cache', () => {
  it('the second request is served from memory', async () => {
    site = await staticSite({ 'a.txt': 'cached text' });
    expect((await site.get('/a.txt', identity)).body).toBe('cached text');
    expect(await site.metric(MISS, { variant: 'identity' })).toBe(1);
    expect(await site.metric(HIT, { variant: 'identity' })).toBe(0);
    expect((await site.get('/a.txt', identity)).body).toBe('cached text');
    expect(await site.metric(HIT, { variant: 'identity' })).toBe(1);
    expect(await site.metric(MISS, { variant: 'identity' })).toBe(1);
  });

  it('an edited file is served fresh, even with the same size', async () => {
    site = await staticSite({});
    site.write('a.txt', 'version-1', T0);
    expect((await site.get('/a.txt')).body).toBe('version-1');
    site.write('a.txt', 'version-2', T0 + 5);
    expect((await site.get('/a.txt')).body).toBe('version-2');
    site.write('a.txt', 'a longer version 3');
    expect((await site.get('/a.txt')).body).toBe('a longer version 3');
    expect(await site.metric(HIT)).toBe(0);
  });

  it('files above maxFileSize are not cached; maxBytes 0 turns the cache off', async () => {
    site = await staticSite({ 'a.txt': 'x'.repeat(2000) }, { cache: { maxFileSize: '1KB' } });
    await site.get('/a.txt', identity);
    await site.get('/a.txt', identity);
    expect(await site.metric(HIT) + (await site.metric(MISS))).toBe(0);
    await site.close();
    site = await staticSite({ 'a.txt': 'small' }, { cache: { maxBytes: '0B' } });
    expect((await site.get('/a.txt')).body).toBe('small');
    expect((await site.get('/a.txt')).body).toBe('small');
    expect(await site.metric(HIT)).toBe(0);
  });

  it('is bounded by bytes: filling it evicts the least recently used file', async () => {
    site = await staticSite({ 'a.txt': 'a'.repeat(600), 'b.txt': 'b'.repeat(600) }, { cache: { maxBytes: '1KB' } });
    await site.get('/a.txt', identity);
    await site.get('/b.txt', identity); // 1200 bytes > 1KB: a.txt goes
    await site.get('/a.txt', identity);
    expect(await site.metric(MISS)).toBe(3);
    expect(await site.metric(HIT)).toBe(0);
  });
});

describe('validators', () => {
  it('a strong ETag; If-None-Match answers 304 with the same validators and no body', async () => {
    site = await staticSite({});
    site.write('a.txt', 'hello', T0);
    const first = await site.get('/a.txt', identity);
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const again = await site.get('/a.txt', { ...identity, 'if-none-match': `"other", ${etag}` });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
    expect(again.headers['cache-control']).toBe('no-cache');
    expect((await site.get('/a.txt', { ...identity, 'if-none-match': '"stale"' })).statusCode).toBe(200);
    site.write('a.txt', 'hellO', T0 + 1);
    expect((await site.get('/a.txt', { ...identity, 'if-none-match': etag })).statusCode).toBe(200);
  });

  it('Last-Modified; If-Modified-Since answers 304 unless the file is newer', async () => {
    site = await staticSite({});
    site.write('a.txt', 'hello', T0);
    const first = await site.get('/a.txt');
    expect(first.headers['last-modified']).toBe(new Date(T0 * 1000).toUTCString());
    const since = String(first.headers['last-modified']);
    expect((await site.get('/a.txt', { 'if-modified-since': since })).statusCode).toBe(304);
    expect((await site.get('/a.txt', { 'if-modified-since': new Date((T0 - 60) * 1000).toUTCString() })).statusCode).toBe(200);
    // If-None-Match takes precedence over If-Modified-Since (RFC 9110 §13.2.2).
    expect((await site.get('/a.txt', { 'if-modified-since': since, 'if-none-match': '"stale"' })).statusCode).toBe(200);
  });

  it('etag: false sends no ETag', async () => {
    site = await staticSite({ 'a.txt': 'x' }, { etag: false });
    expect((await site.get('/a.txt')).headers.etag).toBeUndefined();
  });
});

describe('compression', () => {
  it('on the fly: brotli and gzip by Accept-Encoding, decompressing to the file, each with its own ETag', async () => {
    site = await staticSite({ 'site.css': css });
    const br = await site.get('/site.css', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(bodyOf(br).length).toBeLessThan(css.length / 4);
    expect(brotliDecompressSync(bodyOf(br)).toString()).toBe(css);
    const gz = await site.get('/site.css', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(bodyOf(gz)).toString()).toBe(css);
    const plain = await site.get('/site.css', { 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(css);
    expect(new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]).size).toBe(3);
  });

  it('the compressed variant is cached too', async () => {
    site = await staticSite({ 'site.css': css });
    await site.get('/site.css', { 'accept-encoding': 'br' });
    const again = await site.get('/site.css', { 'accept-encoding': 'br' });
    expect(brotliDecompressSync(bodyOf(again)).toString()).toBe(css);
    expect(await site.metric(HIT, { variant: 'br' })).toBe(1);
    expect(await site.metric(MISS, { variant: 'br' })).toBe(1);
  });

  it('not for small files, incompressible types, or with onTheFly off', async () => {
    site = await staticSite({ 'tiny.css': 'a{}', 'photo.png': Buffer.alloc(4000, 1), 'site.css': css });
    const br = { 'accept-encoding': 'br, gzip' };
    expect((await site.get('/tiny.css', br)).headers['content-encoding']).toBeUndefined();
    expect((await site.get('/photo.png', br)).headers['content-encoding']).toBeUndefined();
    await site.close();
    site = await staticSite({ 'site.css': css }, { compression: { onTheFly: false } });
    expect((await site.get('/site.css', br)).headers['content-encoding']).toBeUndefined();
  });

  it('precompressed .br/.gz siblings are chosen by Accept-Encoding', async () => {
    site = await staticSite({});
    site.write('app.js', 'console.log(1)', T0);
    // Marked contents prove the sibling was sent, not a fresh compression of app.js.
    site.write('app.js.br', brotliCompressSync('from the br sibling'), T0);
    site.write('app.js.gz', gzipSync('from the gz sibling'), T0);
    const br = await site.get('/app.js', { 'accept-encoding': 'gzip, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(brotliDecompressSync(bodyOf(br)).toString()).toBe('from the br sibling');
    const gz = await site.get('/app.js', { 'accept-encoding': 'gzip' });
    expect(gunzipSync(bodyOf(gz)).toString()).toBe('from the gz sibling');
    const preferGzip = await site.get('/app.js', { 'accept-encoding': 'br;q=0.5, gzip' });
    expect(preferGzip.headers['content-encoding']).toBe('gzip');
    expect((await site.get('/app.js')).body).toBe('console.log(1)');
  });

  it('a precompressed sibling older than its file is ignored', async () => {
    site = await staticSite({});
    site.write('app.js', 'console.log(2)', T0 + 100);
    site.write('app.js.br', brotliCompressSync('stale build'), T0);
    const res = await site.get('/app.js', { 'accept-encoding': 'br' });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body).toBe('console.log(2)');
  });

  it('a large precompressed sibling is streamed from disk', async () => {
    const large = 'y'.repeat(400_000);
    site = await staticSite({});
    site.write('big.js', large, T0);
    site.write('big.js.gz', gzipSync(large, { level: 0 }), T0);
    const res = await site.get('/big.js', { 'accept-encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(gunzipSync(bodyOf(res)).toString()).toBe(large);
  });
});

describe('Cache-Control', () => {
  it('first matching rule wins; suffix and prefix patterns; no-cache by default (HTML included)', async () => {
    const immutable = 'public, max-age=31536000, immutable';
    site = await staticSite(
      { 'index.html': 'i', 'assets/app.js': 'a', 'assets/deep/x.css': 'c', 'lib.js': 'l', 'favicon.ico': 'f', 'myfavicon.ico': 'm' },
      { cacheControl: [{ pattern: '/assets/*', value: immutable }, { pattern: '*.js', value: 'public, max-age=60' }, { pattern: 'favicon.ico', value: 'max-age=86400' }] },
    );
    const cc = async (url: string) => (await site!.get(url)).headers['cache-control'];
    expect(await cc('/assets/app.js')).toBe(immutable);
    expect(await cc('/assets/deep/x.css')).toBe(immutable);
    expect(await cc('/lib.js')).toBe('public, max-age=60');
    expect(await cc('/favicon.ico')).toBe('max-age=86400');
    expect(await cc('/myfavicon.ico')).toBe('no-cache');
    expect(await cc('/')).toBe('no-cache');
  });

  it('defaultCacheControl "" sends no header for unmatched files', async () => {
    site = await staticSite({ 'a.txt': 'a' }, { defaultCacheControl: '' });
    expect((await site.get('/a.txt')).headers['cache-control']).toBeUndefined();
  });
});
