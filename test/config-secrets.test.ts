import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, runCli, spawnCli, writeConfig } from './helpers/cli.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './helpers/wait.js';

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

describe('a running gateway never logs a value from the environment', () => {
  it("a webhook's credential from the environment, echoed in the endpoint's 401 body, is scrubbed from the retry log", async () => {
    const token = 'hook-token-8e2c4a6f';
    // A vendor that quotes the credential it refused (some do): its body becomes the logged reason for the retry.
    const endpoint = createServer((req, res) => {
      req.resume();
      res.writeHead(401, { 'content-type': 'text/plain' }).end(`refused credential ${req.headers.authorization ?? ''}`);
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    const port = (endpoint.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-secret-log-'));
    const { path } = writeConfig({
      server: { listen: { host: '127.0.0.1', port: 0 } },
      admin: { enabled: false },
      spool: { dir: join(dir, 'spool') },
      sinks: { duckdb: { path: join(dir, 'db.duckdb') } },
      destinations: { webhooks: [{ name: 'hook', url: `http://127.0.0.1:${port}/hook`, secret: '${HOOK_SECRET}', headers: { authorization: 'Bearer ${HOOK_TOKEN}' } }] },
    });
    const child = spawnCli(['serve', '--config', path], { HOOK_TOKEN: token, HOOK_SECRET: 'hook-secret-1d9b7c' });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const url = await waitFor('the gateway to listen', () => {
        if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${output}`);
        return /"event":"started".*?"main":"(http:\/\/[^"]+)"/.exec(output)?.[1];
      });
      const sent = await fetch(`${url}/tr/v1/`, { method: 'POST', body: JSON.stringify({ ename: 'signup' }), headers: { 'content-type': 'application/json' } });
      expect(sent.status).toBe(200);
      await waitFor('a logged retry with the endpoint\'s answer', () => /"event":"destinationRetried".*HTTP 401/.test(output));
      expect(output).toContain('refused credential Bearer [redacted]');
      expect(output).not.toContain(token);
    } finally {
      child.kill('SIGKILL');
      await exited(child);
      endpoint.closeAllConnections();
      endpoint.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
