import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { configChanges } from './live-keys.js';

const parse = (raw: Record<string, unknown>) => parseConfig(raw, 'test', {});

describe('configChanges', () => {
  it('finds nothing between two equal configs', () => {
    expect(configChanges(parse({}), parse({}))).toEqual({ changed: [], frozen: [] });
  });

  it('lets request handling, certificates and the log level change live', () => {
    const next = parse({
      log: { level: 'debug' },
      proxy: { routes: [{ path: '/app', upstreams: ['http://127.0.0.1:1'] }] },
      rateLimit: { enabled: false },
      tls: { hsts: { maxAge: '1d' } },
      server: { trustedProxies: ['10.0.0.0/8'] },
    });
    const { changed, frozen } = configChanges(parse({}), next);
    expect(changed).toEqual(expect.arrayContaining(['/log/level', '/proxy/routes', '/rateLimit/enabled', '/tls/hsts/maxAge', '/server/trustedProxies']));
    expect(frozen).toEqual([]);
  });

  it('names each key that cannot change live, and only those', () => {
    const next = parse({
      spool: { dir: '/elsewhere' },
      server: { listen: { port: 9999 }, workers: 3, bodyLimit: '2MB' },
      bus: { kind: 'nats', nats: { servers: ['nats://127.0.0.1:4222'] } },
      tls: { listen: { port: 9443 } },
      tracking: { redirects: { signingKey: 'a-new-signing-key-of-enough-length' } },
    });
    const { changed, frozen } = configChanges(parse({}), next);
    expect(changed).toContain('/server/bodyLimit');
    expect(frozen).not.toContain('/server/bodyLimit');
    expect(frozen).toEqual(
      expect.arrayContaining(['/spool/dir', '/server/listen/port', '/server/workers', '/bus/kind', '/tls/listen/port', '/tracking/redirects/signingKey']),
    );
  });
});
