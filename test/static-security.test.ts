import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { rawRequest, SECRET, staticSite, type StaticSite } from './fixtures/static/site.js';

let site: StaticSite;
let port: number;

beforeAll(async () => {
  site = await staticSite({ 'index.html': 'home', 'sub/page.txt': 'page', '.env': 'SECRET=1', '.git/config': 'repo', '.well-known/security.txt': 'Contact: x' });
  // A decoy named like the file outside: a normalising server would serve this instead of refusing.
  writeFileSync(join(site.root, 'secret.txt'), 'decoy inside root');
  symlinkSync(join(site.dir, 'secret.txt'), join(site.root, 'leak.txt'));
  symlinkSync(site.dir, join(site.root, 'updir'));
  symlinkSync(join(site.root, 'sub', 'page.txt'), join(site.root, 'alias.txt'));
  mkdirSync(join(site.dir, 'outside-dir'));
  writeFileSync(join(site.dir, 'outside-dir', 'index.html'), SECRET);
  symlinkSync(join(site.dir, 'outside-dir'), join(site.root, 'linked-dir'));
  await site.app.listen({ port: 0, host: '127.0.0.1' });
  port = (site.app.server.address() as AddressInfo).port;
});
afterAll(() => site.close());

// Each is refused by the server itself (403), except a double-encoded one, which names a file that does not exist.
const TRAVERSALS: [string, number][] = [
  ['/../secret.txt', 403],
  ['/sub/../../secret.txt', 403],
  ['/%2e%2e/secret.txt', 403],
  ['/%2E%2E/secret.txt', 403],
  ['/%2e%2e%2fsecret.txt', 403],
  ['/sub/..%2f..%2fsecret.txt', 403],
  ['/..%2fsecret.txt', 403],
  ['/sub%2fpage.txt', 403],
  ['/..%5csecret.txt', 403],
  ['/..\\secret.txt', 403],
  ['/sub\\..\\..\\secret.txt', 403],
  ['/secret.txt%00.html', 403],
  ['/sub/page.txt%00', 403],
  ['/./secret.txt', 403],
  ['//etc/passwd', 403],
  ['/%252e%252e/secret.txt', 404],
];

// On the wire, not through inject: inject (like a browser) resolves "..", "%2e%2e" and "\\" before the server
// sees them, so only a raw request line tests what an attacker can send.
describe('path traversal', () => {
  it.each(TRAVERSALS)('%s is refused with %i', async (path, status) => {
    const raw = await rawRequest(port, path);
    expect(raw.slice(0, 12)).toBe(`HTTP/1.1 ${status}`);
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain('decoy inside root');
  });

  it('names the refusal: dot-segments and encoded separators are 403, broken escapes 400', async () => {
    expect(await rawRequest(port, '/%2e%2e/secret.txt')).toMatch(/^HTTP\/1\.1 403 /);
    expect(await rawRequest(port, '/sub/../page.txt')).toMatch(/^HTTP\/1\.1 403 /);
    expect(await rawRequest(port, '/sub%2fpage.txt')).toMatch(/^HTTP\/1\.1 403 /);
    expect(await rawRequest(port, '/a%zz')).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('any path made of dot-segments, separators and escapes, raw on the wire: never a file outside the root or a dotfile, never a 5xx', async () => {
    const segment = fc.constantFrom(
      '..', '.', '%2e%2e', '%2E%2e', '.%2e', '%2e', '..%2f', '..%5c', '%2f', '%5c', '\\', '..\\', '%252e%252e', '%c0%ae%c0%ae', '%00',
      '', 'sub', 'secret.txt', 'leak.txt', 'updir', 'linked-dir', 'index.html', '.env', '.git', 'config', 'page.txt', '%2eenv', '.%65nv',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.constantFrom('/', '\\', '%2f'), async (segments, separator) => {
        const raw = await rawRequest(port, `/${segments.join(separator)}`);
        const status = Number(raw.slice(9, 12));
        expect(status, raw.slice(0, 40)).toBeLessThan(500);
        expect(raw).not.toContain(SECRET);
        expect(raw).not.toContain('SECRET=1');
        expect(raw).not.toContain('repo');
      }),
      { numRuns: 400 },
    );
  });

  it('the same files are served when asked for properly (the refusals are not blanket)', async () => {
    expect(await rawRequest(port, '/sub/page.txt')).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\npage$/);
    expect(await rawRequest(port, '/secret.txt')).toContain('decoy inside root');
  });
});

describe('dotfiles', () => {
  it('are denied by default, /.well-known/ excepted', async () => {
    expect((await site.get('/.env')).statusCode).toBe(403);
    expect((await site.get('/%2eenv')).statusCode).toBe(403);
    expect((await site.get('/.git/config')).statusCode).toBe(403);
    expect((await site.get('/.well-known/security.txt')).body).toBe('Contact: x');
  });

  it('"ignore" answers 404 and "allow" serves them', async () => {
    const ignore = await staticSite({ '.env': 'SECRET=1' }, { dotfiles: 'ignore' });
    const allow = await staticSite({ '.env': 'SECRET=1' }, { dotfiles: 'allow' });
    try {
      expect((await ignore.get('/.env')).statusCode).toBe(404);
      expect((await allow.get('/.env')).body).toBe('SECRET=1');
    } finally {
      await ignore.close();
      await allow.close();
    }
  });
});

describe('symlinks', () => {
  it('to a file outside the root: 403, never its content', async () => {
    const res = await site.get('/leak.txt');
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain(SECRET);
  });

  it('to a directory outside the root: neither its files nor its index', async () => {
    for (const path of ['/updir/secret.txt', '/linked-dir/', '/linked-dir/index.html']) {
      const res = await site.get(path);
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toContain(SECRET);
    }
  });

  it('inside the root are served', async () => {
    expect((await site.get('/alias.txt')).body).toBe('page');
  });
});

describe('protected files and roots', () => {
  it('a protected file (the config file) is never served, even inside the root', async () => {
    const guarded = await staticSite({ 'config.json': '{"secret":1}', 'ok.json': '{}', 'cfg/index.html': 'x' }, {}, { protect: ['config.json', 'cfg/index.html'] });
    try {
      expect((await guarded.get('/config.json')).statusCode).toBe(403);
      expect((await guarded.get('/cfg/')).statusCode).toBe(403);
      expect((await guarded.get('/ok.json')).body).toBe('{}');
    } finally {
      await guarded.close();
    }
  });

  it('refuses to start with a root that holds the working directory', async () => {
    await expect(staticSite({}, { root: process.cwd() })).rejects.toThrow(/contains the working directory/);
    await expect(staticSite({}, { root: join(process.cwd(), '..') })).rejects.toThrow(/contains the working directory/);
  });
});
