import { describe, expect, it } from 'vitest';
import { checkRedirect, hostAllowed, isWebUrl } from './redirect-policy.js';
import { signUrl } from './sign.js';

const policy = { allowHosts: ['good.com', '*.example.org'], signingKey: 'k3y' };

describe('tracked redirect policy', () => {
  it.each([
    'https://good.com/path?q=1',
    'http://good.com',
    'https://GOOD.com/x',
    'https://good.com./x',
    'https://shop.example.org/cart',
    'https://example.org/',
  ])('allows %s', (url) => {
    expect(checkRedirect(url, undefined, policy)).toMatchObject({ ok: true });
  });

  it.each([
    ['//evil.com', 'protocol-relative'],
    ['///evil.com', 'triple slash'],
    ['/\\evil.com', 'slash-backslash'],
    ['\\\\evil.com', 'double backslash'],
    ['https:evil.com', 'scheme without slashes'],
    ['https:/evil.com', 'scheme with one slash'],
    ['javascript:alert(1)', 'javascript'],
    ['JaVaScRiPt:alert(1)', 'mixed-case javascript'],
    ['java\tscript:alert(1)', 'tab inside scheme'],
    ['data:text/html,<script>alert(1)</script>', 'data'],
    ['https://good.com@evil.com/', 'userinfo trick'],
    ['https://good.com:pw@evil.com/', 'userinfo with password'],
    ['https://evil.com/good.com', 'allowed host in path'],
    ['https://good.com.evil.com/', 'allowed host as subdomain'],
    ['https://evilgood.com/', 'suffix without dot'],
    ['https://evil.com\\@good.com', 'backslash before @'],
    ['https://evil.com%2F@good.com', 'encoded slash before @'],
    [' https://evil.com', 'leading space'],
    ['https://evil.com\u0000.good.com', 'NUL byte'],
    ['HTTPS://EVIL.COM', 'uppercase foreign host'],
    ['ftp://good.com/file', 'other scheme'],
    ['https://notexample.org/', 'wildcard suffix without dot'],
    ['', 'empty'],
  ])('refuses %j (%s)', (url) => {
    expect(checkRedirect(url, undefined, policy).ok).toBe(false);
  });

  it('refuses a missing url', () => {
    expect(checkRedirect(undefined, undefined, policy)).toEqual({ ok: false, reason: 'missing url' });
  });

  it('allows any host with a valid signature, and only that exact URL', () => {
    const url = 'https://elsewhere.net/landing?c=1';
    expect(checkRedirect(url, signUrl(url, 'k3y'), policy)).toMatchObject({ ok: true });
    expect(checkRedirect(`${url}&x=2`, signUrl(url, 'k3y'), policy).ok).toBe(false);
    expect(checkRedirect(url, signUrl(url, 'other-key'), policy).ok).toBe(false);
    expect(checkRedirect(url, 'garbage', policy).ok).toBe(false);
  });

  it('a signature does not open javascript: or userinfo URLs', () => {
    for (const url of ['javascript:alert(1)', 'https://good.com@evil.com/']) {
      expect(checkRedirect(url, signUrl(url, 'k3y'), policy).ok).toBe(false);
    }
  });

  it('without a signing key, no signature is valid', () => {
    const url = 'https://elsewhere.net/';
    expect(checkRedirect(url, signUrl(url, ''), { allowHosts: [], signingKey: '' }).ok).toBe(false);
  });

  it('matches hosts exactly or by wildcard suffix', () => {
    expect(hostAllowed('a.b.example.org', ['*.example.org'])).toBe(true);
    expect(hostAllowed('example.org', ['example.com'])).toBe(false);
  });

  it('short-link destinations must be web URLs', () => {
    expect(isWebUrl('https://example.com/x')).toBe(true);
    expect(isWebUrl('javascript:alert(1)')).toBe(false);
    expect(isWebUrl('//evil.com')).toBe(false);
    expect(isWebUrl('https://u:p@example.com')).toBe(false);
  });
});
