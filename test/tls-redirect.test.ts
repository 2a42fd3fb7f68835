import { describe, expect, it } from 'vitest';
import { decidePlainHttp, hstsHeader, isAcmeChallengePath } from '../src/tls/http-redirect.js';
import { decodeTlsConfig } from '../src/tls/config.js';

// Only names with a certificate are redirected to; the files are not read when deciding.
const certificates = [{ names: ['example.com', '*.shop.example'], cert: 'site.crt', key: 'site.key' }];
const config = decodeTlsConfig({ enabled: true, listen: { port: 443 }, redirectExceptions: ['/healthz', '/legacy/'], certificates });
const decide = (url: string, host: string | undefined = 'example.com', method = 'GET', c = config) =>
  decidePlainHttp({ method, host, url }, c);

describe('plain-HTTP decisions', () => {
  it('redirects with 308 to https, keeping host (without port), path and query', () => {
    expect(decide('/a/b?x=1&y=%20z', 'example.com:80')).toEqual({
      action: 'redirect',
      status: 308,
      location: 'https://example.com/a/b?x=1&y=%20z',
    });
    expect(decide('/form', 'example.com', 'POST')).toMatchObject({ location: 'https://example.com/form' });
    expect(decide('/', 'EXAMPLE.com.')).toMatchObject({ location: 'https://example.com/' });
    expect(decide('/x', 'a.shop.example')).toMatchObject({ location: 'https://a.shop.example/x' });
  });

  it('never reflects a Host it has no certificate for: 421, or the default name', () => {
    for (const host of ['evil.example', 'evil.example:80', 'example.com.evil.example', 'a.b.shop.example', '[::1]:8080', '10.0.0.1']) {
      expect(decide('/a?b', host), host).toMatchObject({ action: 'reject', code: 'MISDIRECTED_REQUEST' });
    }
    const withDefault = decodeTlsConfig({ enabled: true, listen: { port: 443 }, certificates, defaultName: 'example.com' });
    expect(decide('/a?b', 'evil.example', 'GET', withDefault)).toMatchObject({ location: 'https://example.com/a?b' });
    const acme = decodeTlsConfig({ enabled: true, listen: { port: 443 }, acme: { enabled: true, email: 'a@example.com', acceptTermsOfService: true, domains: ['auto.example'] } });
    expect(decide('/', 'auto.example', 'GET', acme)).toMatchObject({ location: 'https://auto.example/' });
    expect(decide('/', 'evil.example', 'GET', acme)).toMatchObject({ action: 'reject', code: 'MISDIRECTED_REQUEST' });
  });

  it('adds the HTTPS port when it is not 443 (publicPort over listen.port)', () => {
    const on8443 = decodeTlsConfig({ enabled: true, certificates });
    expect(decide('/p?q', 'example.com:8080', 'GET', on8443)).toMatchObject({ location: 'https://example.com:8443/p?q' });
    const forwarded = decodeTlsConfig({ enabled: true, publicPort: 443, certificates });
    expect(decide('/p', 'example.com', 'GET', forwarded)).toMatchObject({ location: 'https://example.com/p' });
  });

  it('answers ACME challenges over plain HTTP, for GET and HEAD only', () => {
    expect(decide('/.well-known/acme-challenge/abc_DEF-123')).toEqual({ action: 'challenge', token: 'abc_DEF-123' });
    expect(decide('/.well-known/acme-challenge/abc?x=1', 'example.com', 'HEAD')).toEqual({ action: 'challenge', token: 'abc' });
    expect(decide('/.well-known/acme-challenge/abc', 'example.com', 'POST')).toMatchObject({ action: 'redirect' });
    expect(decide('/.well-known/acme-challenge/../etc')).toMatchObject({ action: 'redirect' });
    expect(isAcmeChallengePath('/.well-known/acme-challenge/')).toBe(false);
    expect(isAcmeChallengePath('/.well-known/acme-challenge/tok')).toBe(true);
  });

  it('passes the configured exceptions by whole segments', () => {
    expect(decide('/healthz')).toEqual({ action: 'pass' });
    expect(decide('/healthz/deep?x')).toEqual({ action: 'pass' });
    expect(decide('/healthzzz')).toMatchObject({ action: 'redirect' });
    expect(decide('/legacy/page')).toEqual({ action: 'pass' });
    expect(decide('/legacy')).toMatchObject({ action: 'redirect' });
  });

  it('passes everything when TLS or the redirect is off', () => {
    expect(decide('/x', 'example.com', 'GET', decodeTlsConfig({}))).toEqual({ action: 'pass' });
    expect(decide('/x', 'example.com', 'GET', decodeTlsConfig({ enabled: true, redirectHttp: false }))).toEqual({
      action: 'pass',
    });
  });

  it('rejects a missing or malformed Host rather than building a Location from it', () => {
    const noHost = decidePlainHttp({ method: 'GET', host: undefined, url: '/x' }, config);
    expect(noHost).toMatchObject({ action: 'reject', code: 'BAD_REQUEST' });
    expect(decide('/x', 'evil.com/path')).toMatchObject({ action: 'reject' });
    expect(decide('/x', 'a@b.com')).toMatchObject({ action: 'reject' });
    expect(decide('http://example.com/x')).toMatchObject({ action: 'reject' });
  });
});

describe('hstsHeader', () => {
  it('is absent unless enabled, and renders max-age in seconds with the flags', () => {
    expect(hstsHeader(decodeTlsConfig({}).hsts)).toBeUndefined();
    expect(hstsHeader(decodeTlsConfig({ hsts: { enabled: true } }).hsts)).toBe('max-age=15552000');
    expect(
      hstsHeader(decodeTlsConfig({ hsts: { enabled: true, maxAge: '365d', includeSubDomains: true, preload: true } }).hsts),
    ).toBe('max-age=31536000; includeSubDomains; preload');
  });
});
