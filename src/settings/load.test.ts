import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig, defaultConfig } from './load.js';
import { ConfigError } from '../config/errors.js';

const dir = join(import.meta.dirname, '../../test/fixtures/config');
const env = { NATS_PASS: 'p', GATEHOUSE_API_KEY: 'k'.repeat(20), GATEHOUSE_LINK_KEY: 'link-key', GATEHOUSE_ADMIN_TOKEN: 't' };

describe('golden config fixtures', () => {
  for (const name of readdirSync(join(dir, 'valid'))) {
    it(`loads valid/${name}`, () => {
      expect(() => loadConfigFile(join(dir, 'valid', name), env)).not.toThrow();
    });
  }
  for (const name of readdirSync(join(dir, 'invalid')).filter((n) => n.endsWith('.json'))) {
    it(`rejects invalid/${name} with the expected errors`, () => {
      const expected = readFileSync(join(dir, 'invalid', name.replace(/\.json$/, '.expected.txt')), 'utf8').trimEnd();
      let error: unknown;
      try {
        loadConfigFile(join(dir, 'invalid', name), env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const lines = (error as ConfigError).message.split('\n').slice(1);
      expect(lines.join('\n')).toBe(expected);
    });
  }
  it('the shipped config.json validates', () => {
    expect(loadConfigFile(join(import.meta.dirname, '../../config.json'), {}).bus.kind).toBe('memory');
  });
});

describe('config loading', () => {
  it('applies defaults and decodes durations and sizes', () => {
    const c = parseConfig({ server: { shutdownTimeout: '1.5s', bodyLimit: '2MiB' } }, 'test', {});
    expect(c.server.shutdownTimeout).toBe(1500);
    expect(c.server.bodyLimit).toBe(2 * 1024 * 1024);
    expect(c.server.listen.port).toBe(8080);
    expect(c.spool.fsync).toBe('always');
  });
  it('freezes the loaded config deeply', () => {
    const c = defaultConfig();
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.server.listen)).toBe(true);
    expect(Object.isFrozen(c.tracking.redirects.allowHosts)).toBe(true);
  });
  it('substitutes ${ENV} inside strings and never echoes secrets in errors', () => {
    const c = parseConfig({ bus: { kind: 'nats', nats: { servers: ['nats://${HOST}:4222'], token: '${TOKEN}' } } }, 't', { HOST: 'n1', TOKEN: 's3cret' });
    expect(c.bus.nats.servers).toEqual(['nats://n1:4222']);
    expect(c.bus.nats.token).toBe('s3cret');
    try {
      parseConfig({ tracking: { apiKeys: [{ name: 'x', key: '${KEY}' }] } }, 't', { KEY: 'short' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('/tracking/apiKeys/0/key');
    }
  });
  it('reports a file that cannot be read', () => {
    expect(() => loadConfigFile('/nonexistent/config.json')).toThrow(/cannot read the file: ENOENT/);
  });
  it('rejects a non-object document', () => {
    expect(() => parseConfig([1, 2], 't', {})).toThrow(/must be a JSON object/);
  });
});
