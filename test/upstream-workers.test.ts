import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, writeConfig } from './helpers/cli.js';
import { startControlled, type Backend } from './helpers/backends.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';

const children: ChildProcess[] = [];
const backends: Backend[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const b of backends.splice(0)) await b.stop();
});

interface Row {
  route: string;
  url: string;
  up: boolean;
  upIn: number;
  workers: number;
}

describe('upstream states with 2 workers (a real child process)', () => {
  it('the admin API and /metrics of the primary show what the workers health checks decided', async () => {
    const [a, b] = [await startControlled('a'), await startControlled('b')];
    backends.push(a, b);
    const [port, adminPort] = [await freePort(), await freePort()];
    const { path, dir } = writeConfig({
      server: { listen: { host: '127.0.0.1', port }, workers: 2 },
      admin: { listen: { port: adminPort } },
      log: { level: 'warn' },
      spool: { dir: join('${DIR}', 'spool') },
      sinks: { duckdb: { path: join('${DIR}', 'db.duckdb') } },
      proxy: {
        routes: [{ path: '/app', upstreams: [a.url, b.url], healthCheck: { path: '/healthz', interval: '50ms', unhealthyThreshold: 1, healthyThreshold: 1 } }],
      },
    });
    const child = spawnCli(['serve', '--config', path], { DIR: dir });
    children.push(child);
    const admin = `http://127.0.0.1:${adminPort}`;
    const rows = async () => ((await (await fetch(`${admin}/admin/upstreams`)).json()) as { upstreams: Row[] }).upstreams;
    const rowOf = async (url: string) => (await rows()).find((r) => r.url === url);
    await waitFor('both workers reporting both upstreams up', async () => (await rowOf(a.url))?.workers === 2 && (await rowOf(b.url))?.up, {
      timeoutMs: 90_000,
    });
    a.healthy = false;
    await waitFor('a out in both workers', async () => (await rowOf(a.url))?.upIn === 0);
    expect(await rowOf(a.url)).toMatchObject({ route: '*/app', up: false, workers: 2 });
    expect(await rowOf(b.url)).toMatchObject({ up: true, upIn: 2, workers: 2 });
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toContain(`gatehouse_upstream_up{route="*/app",upstream="${a.url}"} 0`);
    expect(metrics).toContain(`gatehouse_upstream_up{route="*/app",upstream="${b.url}"} 1`);
    const hitsBefore = a.userHits();
    for (let i = 0; i < 10; i++) expect((await fetch(`http://127.0.0.1:${port}/app/x`)).status).toBe(200);
    expect(a.userHits()).toBe(hitsBefore);
  });
});
