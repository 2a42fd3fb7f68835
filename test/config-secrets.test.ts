import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { runCli, writeConfig } from './helpers/cli.js';

// Values a config error must never print: they come from the environment or sit in secret-typed fields.
const SECRETS = {
  ADMIN_TOKEN: 'adm-tok-7f3e9c1b2a',
  API_KEY: 'srv-key-5d8a0b3c9e7f1a2b',
  REDIS_URL: 'http://:redis-pw-4c2d6e@cache.internal:6379/0',
  PORT_SECRET: 'port-is-a-secret-91ab',
  UNUSED_SALT: 'salt-value-3b7d1f',
};
const LITERAL_TOKEN = 987654321;

/** Every run of the real CLI, stdout and stderr together, with none of the secrets in it. */
async function runWithout(command: string, config: unknown): Promise<string> {
  const { path } = writeConfig(config);
  const run = await runCli([command, '--config', path], SECRETS);
  const output = run.stdout + run.stderr;
  for (const secret of [...Object.values(SECRETS), 'redis-pw-4c2d6e', String(LITERAL_TOKEN)]) expect(output).not.toContain(secret);
  expect(run.code).toBe(1);
  return output;
}

describe('config errors never print a secret', () => {
  const config = {
    admin: { tokn: '${ADMIN_TOKEN}' },
    tracking: { apikeys: [{ name: 'backend', key: '${API_KEY}' }] },
    rateLimit: { store: 'redis', redis: { url: '${REDIS_URL}' } },
    server: { listen: { port: '${PORT_SECRET}' } },
    enrich: { sallt: 'prefix-${UNUSED_SALT}' },
  };

  for (const command of ['validate', 'serve']) {
    it(`${command}: misspelled and mistyped keys from the environment are named, their values never shown`, async () => {
      const output = await runWithout(command, config);
      // Each problem is still reported at its path.
      for (const path of ['/admin/tokn', '/tracking/apikeys', '/server/listen/port', '/enrich/sallt']) expect(output).toContain(`${path}:`);
    });
  }

  it('a bad Redis URL from the environment is reported without its value', async () => {
    const output = await runWithout('validate', { rateLimit: { store: 'redis', redis: { url: '${REDIS_URL}' } } });
    expect(output).toContain('/rateLimit/redis/url: store "redis" needs a redis:// or rediss:// URL');
  });

  it('a secret-typed field is never echoed, even written in the file; other values still are', async () => {
    const output = await runWithout('validate', { admin: { token: LITERAL_TOKEN }, server: { listen: { port: 'eighty' } } });
    expect(output).toContain('/admin/token: expected string');
    expect(output).toContain('/server/listen/port: expected integer (got "eighty")');
  });

  it('a syntax error next to a secret written in the file does not quote it', async () => {
    const { path } = writeConfig({});
    writeFileSync(path, '{ "admin": { "token": unquoted-secret-5e1f } }');
    const run = await runCli(['validate', '--config', path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('invalid JSON');
    expect(run.stdout + run.stderr).not.toContain('secret-5e1f');
  });
});
