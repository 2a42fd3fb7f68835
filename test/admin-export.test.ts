import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { exited, runCli, spawnCli, writeConfig } from './helpers/cli.js';
import { waitFor } from './helpers/wait.js';
import { metric, send } from './admin-support.js';

let gw: TestGateway;
let config: { path: string; dir: string };

beforeAll(async () => {
  gw = await startGateway();
  const { port } = new URL(gw.adminUrl);
  config = writeConfig({ admin: { listen: { host: '127.0.0.1', port: Number(port) } } });
  for (let i = 0; i < 3; i++) await send(gw, Array.from({ length: 10 }, (_, j) => ({ ename: 'exported', vid: `ex-${j}`, uid: 'u-export', score: i * 10 + j })));
  await gw.events(30, { ename: 'exported' });
});
afterAll(async () => {
  await gw?.stop();
  if (config) rmSync(config.dir, { recursive: true, force: true });
});

async function duckCount(sql: string): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return Number((await conn.runAndReadAll(sql)).getRowObjectsJS()[0]?.n);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('gatehouse export', () => {
  it('writes parquet, ndjson and csv files whose row counts match the store', async () => {
    const total = await gw.store.countEvents({});
    for (const format of ['parquet', 'ndjson', 'csv']) {
      const out = join(config.dir, `events.${format}`);
      const run = await runCli(['export', '--config', config.path, '--since', '1h', '--format', format, '--out', out]);
      expect(run.code, run.stderr).toBe(0);
      // Progress only: the line that says the gateway is writing, and (on a slow machine) that it still is.
      const progress = run.stderr.trimEnd().split('\n');
      expect(progress[0]).toBe(`export: the gateway is writing the ${format} file`);
      expect(progress.slice(1).every((l) => /^export: the gateway is still writing the file \(\d+ s\)$/.test(l)), run.stderr).toBe(true);
      expect(run.stdout).toContain(`exported ${total} events to ${out} (${format}`);
      const path = out.replaceAll("'", "''");
      if (format === 'parquet') expect(await duckCount(`SELECT count(*) AS n FROM read_parquet('${path}')`)).toBe(total);
      if (format === 'csv') expect(await duckCount(`SELECT count(*) AS n FROM read_csv('${path}', header = true)`)).toBe(total);
      if (format === 'ndjson') {
        const lines = readFileSync(out, 'utf8').trim().split('\n');
        expect(lines).toHaveLength(total);
        expect((JSON.parse(lines[0] ?? '{}') as { ename?: string }).ename).toBe('exported');
      }
    }
    const none = await fetch(`${gw.adminUrl}/admin/export?format=ndjson&until=2000-01-01T00:00:00Z`);
    expect(none.headers.get('x-gatehouse-rows')).toBe('0');
    expect((await fetch(`${gw.adminUrl}/admin/export?format=xml`)).status).toBe(400);
  });
});

describe('gatehouse events, stats, forget', () => {
  it('events prints JSON lines with filters and a limit, following the cursor', async () => {
    const run = await runCli(['events', '--config', config.path, '--ename', 'exported', '--limit', '25']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ename: string; eid: string });
    expect(lines).toHaveLength(25);
    expect(new Set(lines.map((l) => l.eid)).size).toBe(25);
    expect(lines.every((l) => l.ename === 'exported')).toBe(true);
  });

  it('events --follow prints events accepted while it runs', async () => {
    const child = spawnCli(['events', '--follow', '--config', config.path, '--ename', 'followed']);
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      await waitFor('the CLI to subscribe', async () => (await metric(gw, 'gatehouse_admin_live_viewers')) >= 1);
      const [eid] = await send(gw, [{ ename: 'followed', vid: 'cli-follow' }]);
      await waitFor('the followed event on stdout', () => stdout.includes(String(eid)));
      expect(JSON.parse(stdout.trim().split('\n')[0] ?? '{}')).toMatchObject({ eid, ename: 'followed', vid: 'cli-follow' });
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  });

  it('stats prints a readable summary', async () => {
    const run = await runCli(['stats', '--config', config.path, '--since', '1h']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Gatehouse stats /);
    expect(run.stdout).toMatch(/\d+ events · \d+ visitors · \d+ sessions/);
  });

  it('forget erases by vid or uid and says how many events went', async () => {
    const byVid = await runCli(['forget', '--config', config.path, '--vid', 'ex-3']);
    expect(byVid.code, byVid.stderr).toBe(0);
    expect(byVid.stdout.trim()).toBe('erased visitor ex-3: 3 events from duckdb');
    const byUid = await runCli(['forget', '--config', config.path, '--uid', 'u-export', '--json']);
    expect(JSON.parse(byUid.stdout)).toEqual({ erased: { duckdb: 27 } });
    const neither = await runCli(['forget', '--config', config.path]);
    expect(neither.code).toBe(2);
  });
});
