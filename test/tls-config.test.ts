import { describe, expect, it } from 'vitest';
import { decodeTlsConfig, LETSENCRYPT_PRODUCTION } from '../src/tls/config.js';
import { tlsCrossChecks } from '../src/tls/cross-checks.js';
import { ConfigError } from '../src/config/errors.js';

const paths = (raw: unknown) => tlsCrossChecks(decodeTlsConfig(raw)).map((i) => i.path);

describe('TLS config', () => {
  it('has documented defaults', () => {
    const c = decodeTlsConfig({});
    expect(c).toMatchObject({ enabled: false, listen: { host: '0.0.0.0', port: 8443 }, redirectHttp: true, http2: true });
    expect(c.acme).toMatchObject({ enabled: false, directoryUrl: LETSENCRYPT_PRODUCTION, dir: 'data/acme', domains: [] });
    expect(c.acme.renewBefore).toBe(30 * 86_400_000);
    expect(c.acme.checkInterval).toBe(12 * 3_600_000);
    expect(c.hsts.maxAge).toBe(180 * 86_400_000);
    expect(tlsCrossChecks(c)).toEqual([]);
  });

  it('rejects unknown keys and bad values, with paths', () => {
    const error = (() => {
      try {
        decodeTlsConfig({ acme: { enabeld: true, renewBefore: 'soon' }, certificates: [{ names: [], cert: 'x' }] });
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const issuePaths = (error as ConfigError).issues.map((i) => i.path);
    expect(issuePaths).toEqual(
      expect.arrayContaining([
        '/tls/acme/enabeld',
        '/tls/acme/renewBefore',
        '/tls/certificates/0/names',
        '/tls/certificates/0/key',
      ]),
    );
  });

  it('requires an email, accepted terms and a domain with acme.enabled', () => {
    expect(paths({ enabled: true, acme: { enabled: true } })).toEqual([
      '/tls/acme/email',
      '/tls/acme/domains',
      '/tls/acme/acceptTermsOfService',
    ]);
    expect(paths({ acme: { enabled: true, email: 'a@b.c', acceptTermsOfService: true, domains: ['x.com'] } })).toEqual([
      '/tls/enabled',
    ]);
  });

  it('on-demand TLS needs an ask URL and ACME, and stands in for acme.domains', () => {
    const acme = { enabled: true, email: 'a@b.c', acceptTermsOfService: true };
    expect(paths({ enabled: true, acme: { ...acme, onDemand: { enabled: true } } })).toEqual(['/tls/acme/onDemand/ask']);
    expect(paths({ enabled: true, acme: { ...acme, onDemand: { enabled: true, ask: 'http://127.0.0.1:9/ask' } } })).toEqual([]);
    expect(paths({ enabled: true, acme: { onDemand: { enabled: true, ask: 'http://127.0.0.1:9/ask' } } })).toEqual(['/tls/acme/onDemand/enabled', '/tls/certificates']);
    expect(() => decodeTlsConfig({ acme: { onDemand: { ask: 'ftp://x' } } })).toThrow();
  });

  it('refuses names from two sources, twice-listed names and wildcards over HTTP-01', () => {
    const issues = tlsCrossChecks(
      decodeTlsConfig({
        enabled: true,
        certificates: [
          { names: ['a.com', 'b.com'], cert: 'a.pem', key: 'a.key' },
          { names: ['B.com'], cert: 'b.pem', key: 'b.key' },
        ],
        acme: { enabled: true, email: 'a@b.c', acceptTermsOfService: true, domains: ['a.com', '*.w.com', 'x.com', 'x.com'] },
      }),
      '',
    );
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['/acme/domains/1', 'wildcard names cannot be validated over HTTP-01'],
      ['/acme/domains/3', 'listed twice'],
      ['/certificates/0/names/0', 'also listed in acme.domains: pick one source'],
      ['/certificates/1/names/0', 'already served by certificates/0'],
    ]);
  });

  it('checks the remaining cross-field rules', () => {
    expect(paths({ enabled: true })).toEqual(['/tls/certificates']);
    expect(paths({ defaultName: 'nowhere.com' })).toEqual(['/tls/defaultName']);
    expect(paths({ hsts: { enabled: true, preload: true } })).toEqual(['/tls/hsts/preload']);
    expect(paths({ acme: { retry: { minDelay: '2h', maxDelay: '1h' } } })).toEqual(['/tls/acme/retry/minDelay']);
    expect(
      paths({
        enabled: true,
        acme: { enabled: true, email: 'a@b.c', acceptTermsOfService: true, domains: ['x.com'], checkInterval: '31d' },
      }),
    ).toEqual(['/tls/acme/checkInterval']);
  });
});
