import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { ConfigError, type ConfigIssue } from '../config/errors.js';

/** Source settings are validated with the rest of the config, every problem at its JSON path. */
function issuesOf(protocols: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): ConfigIssue[] {
  try {
    parseConfig({ protocols }, 'test', env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
}

const hook = (extra: Record<string, unknown> = {}) => ({ name: 'hook', path: '/hooks/a', auth: { type: 'none' }, map: { ename: 'type' }, ...extra });

describe('source config', () => {
  it('presets are off by default and a valid source passes', () => {
    const config = parseConfig({ protocols: { sources: [hook()] } }, 'test', {});
    expect(config.protocols.vector.enabled).toBe(false);
    expect(config.protocols.eventkit.enabled).toBe(false);
    expect(config.protocols.productgraph).toMatchObject({ enabled: false, auth: { type: 'header', header: 'X-PG-API-Key', tokens: [] } });
    expect(config.protocols.sources[0]).toMatchObject({ methods: ['POST'], batch: 'auto', unmapped: 'params' });
  });

  it("eventkit's /v1/track next to Segment's is an error naming /protocols/eventkit", () => {
    const issues = issuesOf({ segment: { enabled: true }, eventkit: { enabled: true } });
    expect(issues).toContainEqual(expect.objectContaining({ path: '/protocols/eventkit', message: expect.stringContaining('path /v1/track is already served by protocols.segment') }));
    // Moved, they live side by side.
    expect(issuesOf({ segment: { enabled: true }, eventkit: { enabled: true, prefix: '/ek/v1' } })).toEqual([]);
  });

  it('Vector and eventkit both on /collect collide; a source on a tracking route or health path is refused', () => {
    expect(issuesOf({ vector: { enabled: true }, eventkit: { enabled: true } })).toContainEqual(
      expect.objectContaining({ path: '/protocols/eventkit', message: expect.stringContaining('already served by protocols.vector (/collect)') }),
    );
    expect(issuesOf({ sources: [hook({ path: '/tr/v1/hook' })] })).toContainEqual(
      expect.objectContaining({ path: '/protocols/sources/0', message: expect.stringContaining('tracking.routes.track') }),
    );
    expect(issuesOf({ sources: [hook({ path: '/healthz' })] })[0]?.path).toBe('/protocols/sources/0');
    expect(issuesOf({ sources: [hook({ path: '/tlv/v1/pay' })] })[0]?.message).toContain('tracking.routes.ltv');
    expect(issuesOf({ posthog: { enabled: true }, sources: [hook({ path: '/capture/' })] })[0]?.message).toContain('protocols.posthog');
    // The endpoints a protocol serves beside its capture paths are claimed too.
    expect(issuesOf({ posthog: { enabled: true }, sources: [hook({ path: '/decide' })] })[0]?.message).toContain('protocols.posthog');
    expect(issuesOf({ posthog: { enabled: true }, sources: [hook({ path: '/array/:key/config' })] })[0]?.message).toContain('protocols.posthog');
    expect(issuesOf({ ga4: { enabled: true }, sources: [hook({ path: '/debug/mp/collect' })] })[0]?.message).toContain('protocols.ga4');
    expect(issuesOf({ segment: { enabled: true }, sources: [hook({ path: '/v1/projects/:k/settings' })] })[0]?.message).toContain('protocols.segment');
    expect(issuesOf({ sources: [hook(), hook({ path: '/hooks/:x' }), hook({ name: 'other', path: '/hooks/a/' })] })).toEqual([
      expect.objectContaining({ path: '/protocols/sources/1/name' }),
      expect.objectContaining({ path: '/protocols/sources/2', message: expect.stringContaining('protocols.sources.0') }),
    ]);
  });

  it('schema problems first: unknown keys, a missing auth, an unset ${ENV} token', () => {
    expect(issuesOf({ sources: [hook({ colour: 'red' })] }).map((i) => i.path)).toContain('/protocols/sources/0/colour');
    expect(issuesOf({ sources: [{ name: 'x', path: '/x', map: {} }] }).map((i) => i.path)).toContain('/protocols/sources/0/auth');
    const unset = issuesOf({ sources: [hook({ auth: { type: 'bearer', tokens: ['${HOOK_TOKEN}'] } })] });
    expect(unset).toEqual([expect.objectContaining({ path: '/protocols/sources/0/auth/tokens/0', message: 'environment variable HOOK_TOKEN is not set' })]);
  });

  it('then the mapping and auth rules, each at its path', () => {
    const issues = issuesOf(
      { sources: [hook({ map: { 'event name': 'x', eid: { required: true }, 'params.t': '$path.tenant' }, auth: { type: 'header', tokens: ['${HOOK_TOKEN}'] } })] },
      { HOOK_TOKEN: 'token-1' },
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      '/protocols/sources/0/auth/header',
      '/protocols/sources/0/map/eid',
      '/protocols/sources/0/map/event name',
      '/protocols/sources/0/map/params.t',
    ]);
    expect(issues.find((i) => i.path.endsWith('params.t'))?.message).toBe('the path /hooks/a has no parameter ":tenant"');
  });
});
