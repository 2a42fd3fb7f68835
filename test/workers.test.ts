import { request as httpRequest } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { spawnCli, writeConfig, exited, collectLogs, type LogLine } from './helpers/cli.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';
import { startReceiver, type Receiver } from './helpers/receivers.js';
import { windowOf } from '../src/ratelimit/leases.js';

const children: ChildProcess[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const r of receivers.splice(0)) await r.close();
});


/** `gatehouse serve` with 2 workers, as a real child process; its JSON log lines are collected as they come. */
async function startCluster(extra: Record<string, unknown> = {}) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const { path, dir } = writeConfig({
    server: { listen: { host: '127.0.0.1', port }, workers: 2, shutdownTimeout: '20s' },
    admin: { listen: { port: adminPort } },
    // debug: each accepted event is logged with the index of the worker that took it.
    log: { level: 'debug' },
    spool: { dir: join('${DIR}', 'spool') },
    sinks: { duckdb: { path: join('${DIR}', 'db.duckdb') } },
    ...extra,
  });
  const child = spawnCli(['serve', '--config', path], { DIR: dir });
  children.push(child);
  const logs: LogLine[] = [];
  const stderr = collectLogs(child, logs);
  const started = await waitFor('the primary to report both workers serving', () => {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stderr()}`);
    return logs.find((l) => l.role === 'primary' && l.event === 'started');
  });
  return { child, logs, path, dir, base: `http://127.0.0.1:${port}`, admin: `http://127.0.0.1:${adminPort}`, pids: started.pids as number[] };
}

/** One event, on a new connection each time (the primary hands connections to the workers in turn). */
function track(base: string, eid: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/tr/v1/?ename=cluster_test&eid=${eid}`, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Rate-limit windows are aligned to the clock across workers, and a limit test's requests must fall in one window:
 * hour-long windows, and a test starts with at least a minute of its window left (a wait only in an hour's last
 * minute). Returns the window.
 */
const HOUR = '1h';
const HOUR_MS = 3_600_000;
const currentWindow = () => windowOf(Date.now(), HOUR_MS);
async function oneWindow(): Promise<number> {
  await waitFor('a window with a minute left', () => Date.now() % HOUR_MS < HOUR_MS - 60_000, { timeoutMs: 90_000, intervalMs: 250 });
  return currentWindow();
}

const acceptedBy = (logs: LogLine[]) => new Set(logs.filter((l) => l.event === 'eventAccepted').map((l) => l.worker));

async function storedCount(admin: string, ename: string): Promise<number> {
  const res = await fetch(`${admin}/admin/events?ename=${ename}&limit=1000`);
  const body = (await res.json()) as { events: { eid: string }[] };
  return new Set(body.events.map((e) => e.eid)).size;
}

async function countInFile(dir: string, prefix: string): Promise<{ rows: number; distinct: number }> {
  const db = await DuckDBInstance.create(join(dir, 'db.duckdb'));
  const conn = await db.connect();
  const rows = (await conn.runAndReadAll(`select count(*), count(distinct eid) from events where eid like '${prefix}%'`)).getRows();
  conn.closeSync();
  return { rows: Number(rows[0]?.[0]), distinct: Number(rows[0]?.[1]) };
}

describe('serve with 2 workers (a real child process)', () => {
  it('SIGTERM while the workers are still starting stops them gracefully once they serve, none killed', async () => {
    const port = await freePort();
    const { path, dir } = writeConfig({
      // A short budget: a worker that missed the shutdown would be killed after it (and logged as killed).
      server: { listen: { host: '127.0.0.1', port }, workers: 2, shutdownTimeout: '1s' },
      admin: { enabled: false },
      rateLimit: { enabled: false },
      log: { level: 'info' },
      spool: { dir: join('${DIR}', 'spool') },
      sinks: { duckdb: { path: join('${DIR}', 'db.duckdb') } },
    });
    const child = spawnCli(['serve', '--config', path], { DIR: dir });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    // Forked, not yet serving: a worker needs a second or so to load before it listens for the primary.
    await waitFor('both workers forked', () => out.split('"event":"workerStarted"').length - 1 >= 2);
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(out).not.toContain('"event":"workerKilled"');
    expect(out).toContain('"event":"shutdownFinished"');
  });

  it('both workers serve, metrics are aggregated, destinations are fed, and SIGTERM exits 0 with every accepted event stored once', async () => {
    const hook = await startReceiver('webhook', { secret: 'workers-hook-secret', path: '/hook' });
    receivers.push(hook);
    const { child, logs, dir, base, admin, pids } = await startCluster({
      destinations: { webhooks: [{ name: 'hook', url: `${hook.url}/hook`, secret: 'workers-hook-secret', batchWait: '50ms' }] },
    });
    expect(pids).toHaveLength(2);
    const n = 40;
    const statuses = await Promise.all(Array.from({ length: n }, (_, i) => track(base, `both-${String(i).padStart(3, '0')}`)));
    expect(statuses).toEqual(statuses.map(() => 200));
    // Each worker's log lines reach the shared stdout on their own schedule, after their responses maybe.
    await waitFor('events accepted by both workers in the log', () => acceptedBy(logs).size === 2);

    // The primary's /metrics sums the workers' counters with its own (the consumer's).
    await waitFor('the stored events to show in the aggregated metrics', async () => {
      const text = await (await fetch(`${admin}/metrics`)).text();
      return text.includes(`gatehouse_event_accepted_total{origin="track"} ${n}`) && text.includes('gatehouse_worker_started_total 2');
    });
    await waitFor('every event in DuckDB', async () => (await storedCount(admin, 'cluster_test')) === n);
    // The primary's consumer feeds the destinations, whichever worker accepted the event.
    await waitFor('every event at the webhook', () => new Set(hook.acceptedIds().filter((id) => id.startsWith('both-'))).size === n);
    expect(hook.violations).toEqual([]);

    // Sent while shutting down is not required; sent before the signal must all be stored when it exits.
    const more = await Promise.all(Array.from({ length: 20 }, (_, i) => track(base, `both-late-${String(i).padStart(3, '0')}`)));
    expect(more).toEqual(more.map(() => 200));
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(await countInFile(dir, 'both-')).toEqual({ rows: n + 20, distinct: n + 20 });
  });

  it("a client's limit holds with 2 workers: its N+1-th request in the window is 429 whatever worker takes it", async () => {
    const n = 10;
    // An hour's window, with no burst on top.
    const { child, logs, dir, base } = await startCluster({ rateLimit: { rules: { tracking: { points: n, burst: 0, duration: HOUR } } } });
    const window = await oneWindow();
    // New connections, all at once: the primary hands them to both workers in turn.
    const statuses = await Promise.all(Array.from({ length: 3 * n }, (_, i) => track(base, `limit-${String(i).padStart(3, '0')}`)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(n);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2 * n);
    // One after another on new connections, so on either worker: refused until both workers have refused some.
    const refusedBy = () => new Set(logs.filter((l) => l.event === 'rateLimited').map((l) => l.worker));
    const more: number[] = [];
    while (refusedBy().size < 2 && more.length < 40) more.push(await track(base, `limit-more-${more.length}`));
    expect(currentWindow()).toBe(window);
    expect(more.every((s) => s === 429)).toBe(true);
    expect(refusedBy()).toEqual(new Set([0, 1]));
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(await countInFile(dir, 'limit-')).toEqual({ rows: n, distinct: n });
  }, 120_000);

  it("a reload's new limit is the shared one: after SIGHUP lowers it, a client gets exactly the new limit across both workers", async () => {
    const rule = (points: number) => ({ rateLimit: { rules: { tracking: { points, burst: 0, duration: HOUR } } } });
    const { child, logs, path, dir, base } = await startCluster(rule(10));
    const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...file, ...rule(4) }));
    child.kill('SIGHUP');
    await waitFor('both workers to apply the reload', () => new Set(logs.filter((l) => l.event === 'configReloaded' && l.worker !== undefined).map((l) => l.worker)).size === 2);
    const window = await oneWindow();
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => track(base, `relimit-${String(i).padStart(3, '0')}`)));
    expect(currentWindow()).toBe(window);
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(8);
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(await countInFile(dir, 'relimit-')).toEqual({ rows: 4, distinct: 4 });
  }, 120_000);

  it("a reload that leaves a limit as it was keeps the shared count: a client that spent it stays refused on both workers", async () => {
    const limits = (staticPoints: number) => ({ rateLimit: { rules: { tracking: { points: 6, burst: 0, duration: HOUR }, static: { points: staticPoints } } } });
    const { child, logs, path, dir, base } = await startCluster(limits(100));
    const window = await oneWindow();
    const before = await Promise.all(Array.from({ length: 12 }, (_, i) => track(base, `keep-${String(i).padStart(3, '0')}`)));
    expect(before.filter((s) => s === 200)).toHaveLength(6);
    // Another config, the same tracking limit.
    const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...file, ...limits(50) }));
    child.kill('SIGHUP');
    await waitFor('both workers to apply the reload', () => new Set(logs.filter((l) => l.event === 'configReloaded' && l.worker !== undefined).map((l) => l.worker)).size === 2);
    const after = await Promise.all(Array.from({ length: 8 }, (_, i) => track(base, `keep-after-${String(i).padStart(3, '0')}`)));
    expect(currentWindow()).toBe(window);
    expect(after).toEqual(after.map(() => 429));
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(await countInFile(dir, 'keep-')).toEqual({ rows: 6, distinct: 6 });
  }, 120_000);

  it('a worker killed with SIGKILL is restarted and replays its own spool; nothing is stored twice', async () => {
    // A long batch wait keeps forwarded events unacknowledged (so still in the worker's spool) for a while.
    const { child, logs, dir, base, admin, pids } = await startCluster({ consumer: { batchWait: '10s', batchSize: 10_000 } });
    const n = 20;
    const statuses = await Promise.all(Array.from({ length: n }, (_, i) => track(base, `kill-${String(i).padStart(3, '0')}`)));
    expect(statuses).toEqual(statuses.map(() => 200));
    // Each worker's log lines reach the shared stdout on their own schedule, after their responses maybe.
    await waitFor('events accepted by both workers in the log', () => acceptedBy(logs).size === 2);

    process.kill(pids[0] as number, 'SIGKILL');
    const recovered = await waitFor('worker 0 to be restarted and recover its spool', () =>
      logs.filter((l) => l.worker === 0 && l.event === 'spoolRecovered').at(1),
    );
    expect(recovered.pendingRecords).toBeGreaterThan(0);
    expect(logs.some((l) => l.role === 'primary' && l.event === 'workerExited' && l.signal === 'SIGKILL')).toBe(true);
    await waitFor('the restarted worker to serve', () => logs.filter((l) => l.worker === 0 && l.event === 'started').length === 2);

    await waitFor('every event in DuckDB', async () => (await storedCount(admin, 'cluster_test')) === n, { timeoutMs: 90_000 });
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(await countInFile(dir, 'kill-')).toEqual({ rows: n, distinct: n });
    // Room for its own 90-second wait above: a restart with backoff and a 10 s batch, on a loaded machine.
  }, 180_000);
});
