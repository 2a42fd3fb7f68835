import { describe, expect, it } from 'vitest';
import { runCli, writeConfig } from './helpers/cli.js';
import { freePort } from './helpers/net.js';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe('gatehouse CLI', () => {
  it('--help and --version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('gatehouse <command>');
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('an unknown command or option is a usage error (exit 2)', async () => {
    expect((await runCli(['frobnicate', '--config', 'config.json'])).code).toBe(2);
    const bad = await runCli(['serve', '--no-such-flag']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--no-such-flag'");
  });

  it("an option another command takes is refused, with the command's own help", async () => {
    const bad = await runCli(['serve', '--ename', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("serve: Unknown option '--ename'");
    expect(bad.stderr).toContain('Usage: gatehouse serve');
    expect(bad.stderr).not.toContain('--follow');
    expect((await runCli(['replay', '--follow'])).code).toBe(2);
  });

  it('each command has its own --help listing exactly its options', async () => {
    const events = await runCli(['events', '--help']);
    expect(events.code).toBe(0);
    expect(events.stdout).toContain('Usage: gatehouse events');
    for (const flag of ['--follow', '--ename', '--limit', '--admin', '--config']) expect(events.stdout).toContain(flag);
    for (const flag of ['--destination', '--out', '--host']) expect(events.stdout).not.toContain(flag);
    const replay = await runCli(['replay', '-h']);
    expect(replay.stdout).toContain('--destination');
    expect(replay.stdout).not.toContain('--follow');
  });

  it('validate: a valid config with healthy dependencies exits 0', async () => {
    const { path, dir } = writeConfig({ spool: { dir: '${DIR}/spool' }, sinks: { duckdb: { path: '${DIR}/db.duckdb' } } });
    const run = await runCli(['validate', '--config', path], { DIR: dir });
    expect(run.stdout).toContain('ok    bus (memory)');
    expect(run.stdout).toContain('ok    sink duckdb');
    expect(run.code).toBe(0);
  });

  it('validate: an invalid config exits 1 listing every problem with its path', async () => {
    const { path } = writeConfig({ server: { listen: { port: 'x' } }, bogus: true });
    const run = await runCli(['validate', '--config', path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('2 problems');
    expect(run.stderr).toContain('/server/listen/port: expected integer');
    expect(run.stderr).toContain('/bogus: unknown key');
  });

  it('validate: an unreachable NATS bus exits 1 naming it', async () => {
    const port = await freePort();
    const { path, dir } = writeConfig({
      bus: { kind: 'nats', nats: { servers: [`nats://127.0.0.1:${port}`], connectTimeout: '500ms' } },
      sinks: { duckdb: { path: '${DIR}/db.duckdb' } },
    });
    const run = await runCli(['validate', '--config', path], { DIR: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAIL  bus (nats)');
  });

  it('validate: a TLS certificate file that does not exist fails naming its path', async () => {
    const { path, dir } = writeConfig({
      sinks: { duckdb: { path: '${DIR}/db.duckdb' } },
      spool: { dir: '${DIR}/spool' },
      tls: { enabled: true, listen: { port: 8443 }, certificates: [{ names: ['example.com'], cert: '${DIR}/missing.pem', key: '${DIR}/missing.key' }] },
    });
    const run = await runCli(['validate', '--config', path], { DIR: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL {2}\/tls\/certificates\/0/);
  });

  it('certs lists names, source, issuer and expiry of the configured certificates', async () => {
    const { path, dir } = writeConfig({
      tls: { enabled: true, listen: { port: 8443 }, certificates: [{ names: ['shop.example.com', 'www.example.com'], cert: '${DIR}/c.pem', key: '${DIR}/k.pem' }] },
    });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=Gatehouse Test CA',
      '-addext', 'subjectAltName=DNS:shop.example.com,DNS:www.example.com', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    const run = await runCli(['certs', '--config', path], { DIR: dir });
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^(shop|www)\.example\.com\tstatic\t.*Gatehouse Test CA.*\texpires \d{4}-\d\d-\d\dT.* \((29|30) days\)$/);
  });

  it('links sign prints a link that the redirect route accepts', async () => {
    const { path } = writeConfig({ tracking: { redirects: { signingKey: 'cli-key' } } });
    const run = await runCli(['links', 'sign', 'https://example.net/x', 'https://go.example.com', '--config', path]);
    expect(run.code).toBe(0);
    const link = new URL(run.stdout.trim());
    expect(link.origin + link.pathname).toBe('https://go.example.com/rdr/v1/');
    expect(link.searchParams.get('url')).toBe('https://example.net/x');
    expect(link.searchParams.get('sig')).toMatch(/^[\w-]{43}$/);
  });

  it('links list names an unreachable admin API clearly', async () => {
    const port = await freePort();
    const { path } = writeConfig({ admin: { listen: { port } } });
    const run = await runCli(['links', 'list', '--config', path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot reach the admin API');
  });
});
