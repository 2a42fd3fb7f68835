import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runCli, spawnCli, writeConfig, collectLogs, type LogLine } from './helpers/cli.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';
import { startEcho, type Backend } from './helpers/backends.js';


let child: ChildProcess;
let blue: Backend;
let green: Backend;
let path: string;
let dir: string;
let base: string;
let ports: { http: number; admin: number };
const logs: LogLine[] = [];

function configOf(upstream: Backend, level: 'info' | 'debug'): Record<string, unknown> {
  return {
    server: { listen: { host: '127.0.0.1', port: ports.http }, workers: 2, shutdownTimeout: '5s' },
    admin: { listen: { host: '127.0.0.1', port: ports.admin } },
    log: { level },
    spool: { dir: join(dir, 'spool') },
    sinks: { duckdb: { path: join(dir, 'db.duckdb') } },
    proxy: { routes: [{ path: '/app', upstreams: [upstream.url] }] },
  };
}

/** One request on a new connection: the primary hands connections to the workers in turn. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const reloadedBy = (from: number) => new Set(logs.slice(from).filter((l) => l.event === 'configReloaded' && l.worker !== undefined).map((l) => l.worker));

beforeAll(async () => {
  [blue, green] = await Promise.all([startEcho('blue'), startEcho('green')]);
  ports = { http: await freePort(), admin: await freePort() };
  ({ path, dir } = writeConfig({}));
  writeFileSync(path, JSON.stringify(configOf(blue, 'info')));
  base = `http://127.0.0.1:${ports.http}`;
  child = spawnCli(['serve', '--config', path]);
  const stderr = collectLogs(child, logs);
  await waitFor('the primary to report both workers serving', () => {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stderr()}`);
    return logs.find((l) => l.role === 'primary' && l.event === 'started');
  });
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await blue?.stop();
  await green?.stop();
});

describe('reload with 2 workers (a real child process)', () => {
  it('SIGHUP reaches both workers: every connection gets the new upstream, each worker logs the reload', async () => {
    expect(JSON.parse((await get(`${base}/app/x`)).body).name).toBe('blue');
    const from = logs.length;
    writeFileSync(path, JSON.stringify(configOf(green, 'info')));
    child.kill('SIGHUP');
    await waitFor('both workers to apply the reload', () => reloadedBy(from).size === 2);
    // The primary logs once every worker has acknowledged: its line may come after theirs.
    const primary = await waitFor('the primary to log the reload', () => logs.slice(from).find((l) => l.role === 'primary' && l.event === 'configReloaded'));
    expect(primary).toMatchObject({ workers: 2, changed: ['/proxy/routes'] });
    // Connections alternate between the workers: both answer with the new config.
    for (let i = 0; i < 6; i++) expect(JSON.parse((await get(`${base}/app/x`)).body).name).toBe('green');
    expect(child.exitCode).toBe(null);
  }, 60_000);

  it('`gatehouse reload` answers once both workers applied it; a broken file is refused and changes nothing', async () => {
    writeFileSync(path, JSON.stringify(configOf(blue, 'debug')));
    const ok = await runCli(['reload', '--config', path]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^reloaded in 2 workers: config [0-9a-f]{12}, 2 keys changed/);
    for (let i = 0; i < 6; i++) expect(JSON.parse((await get(`${base}/app/x`)).body).name).toBe('blue');
    // Each worker reports the file's hash, and logs at the new level (eventAccepted is a debug event).
    const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(ok.stdout).toContain(hash.slice(0, 12));
    for (let i = 0; i < 4; i++) expect((JSON.parse((await get(`${base}/readyz`)).body) as { config: { hash: string } }).config.hash).toBe(hash);
    const from = logs.length;
    for (let i = 0; i < 4; i++) expect((await get(`${base}/tr/v1/?ename=after_reload`)).status).toBe(200);
    await waitFor('both workers to log at debug level', () => new Set(logs.slice(from).filter((l) => l.event === 'eventAccepted').map((l) => l.worker)).size === 2);

    // Through the admin API, so the server itself judges the file (the CLI would refuse it before asking).
    writeFileSync(path, JSON.stringify({ ...configOf(green, 'info'), server: { listen: { host: '127.0.0.1', port: ports.http }, workers: 3 } }));
    const refused = await fetch(`http://127.0.0.1:${ports.admin}/admin/config/reload`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { keys: string[] } }).error.keys).toEqual(['/server/workers']);
    writeFileSync(path, '{ "proxy": { "routes": [ ');
    const invalid = await fetch(`http://127.0.0.1:${ports.admin}/admin/config/reload`, { method: 'POST' });
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe('CONFIG_INVALID');
    const broken = await runCli(['reload', '--config', path]);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr + broken.stdout).toContain('config');
    for (let i = 0; i < 4; i++) expect(JSON.parse((await get(`${base}/app/x`)).body).name).toBe('blue');
  }, 60_000);

  it('a worker restarted after a reload serves the running config, even when the file was edited since', async () => {
    writeFileSync(path, JSON.stringify(configOf(green, 'info')));
    const ok = await fetch(`http://127.0.0.1:${ports.admin}/admin/config/reload`, { method: 'POST' });
    expect(ok.status).toBe(200);
    // Edited, not reloaded: a restarted worker reads this file, and must not serve it.
    writeFileSync(path, JSON.stringify(configOf(blue, 'info')));
    const pids = logs.find((l) => l.role === 'primary' && l.event === 'started')?.pids as number[];
    const from = logs.length;
    process.kill(pids[0] as number, 'SIGKILL');
    await waitFor('the restarted worker to take the running config', () =>
      logs.slice(from).some((l) => l.event === 'configReloaded' && l.worker === 0 && (l.changed as string[]).includes('/proxy/routes')),
    );
    for (let i = 0; i < 8; i++) expect(JSON.parse((await get(`${base}/app/x`)).body).name).toBe('green');
  }, 60_000);
});
