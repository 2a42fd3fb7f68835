import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSpool } from '../src/spool/create-spool.js';
import { listSegments } from '../src/spool/segment-files.js';
import { encodeEvent } from '../src/track/codec.js';
import type { TrackEvent } from '../src/track/event.js';
import { exited, spawnCli } from './helpers/cli.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';
import { storedByEid } from './faults/ledger.js';
import { RecordingBus, quietTelemetry, spoolConfig } from './spool-harness.js';

/**
 * A spool left by a run with another `server.workers` holds events that were answered 2xx but not yet forwarded
 * (the bus was down when that run stopped). The next run, whatever its workers setting, must forward them.
 */
describe('spools left by another server.workers setting', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** Writes `n` events into a spool at `dir` whose bus never takes them, so they stay pending on disk. */
  async function strandedSpool(dir: string, prefix: string, n: number): Promise<string[]> {
    const bus = new RecordingBus();
    bus.failing = true;
    const spool = createSpool({ config: spoolConfig(dir), bus, telemetry: quietTelemetry() });
    await spool.start();
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    const received = new Date().toISOString();
    await spool.append(ids.map((eid) => ({ id: eid, data: encodeEvent({ eid, received, origin: 'track', ename: prefix } as TrackEvent) })));
    await spool.close(100);
    expect(spool.stats().pendingRecords).toBe(n);
    return ids;
  }

  async function serve(workers: number, build: (root: string) => Promise<string[]>) {
    const [port, adminPort] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-strays-'));
    dirs.push(dir);
    const root = join(dir, 'spool');
    const ids = await build(root);
    const dbPath = join(dir, 'events.duckdb');
    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        server: { listen: { host: '127.0.0.1', port }, workers },
        admin: { listen: { port: adminPort } },
        log: { level: 'warn' },
        spool: { dir: root },
        sinks: { duckdb: { path: dbPath } },
        consumer: { batchWait: '10ms' },
      }),
    );
    const child = spawnCli(['serve', '--config', configPath]);
    children.push(child);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8_000)));
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8_000)));
    return { child, root, ids, dbPath, output: () => output };
  }

  it('a single process forwards what a worker spool still holds, then removes it', async () => {
    const run = await serve(1, (root) => strandedSpool(join(root, 'worker-1'), 'stray-worker', 25));
    await waitFor('the stray worker spool to be forwarded and removed', () => {
      if (run.child.exitCode !== null) throw new Error(`serve exited: ${run.output()}`);
      return !existsSync(join(run.root, 'worker-1'));
    });
    expect(run.output()).toMatch(/"straySpoolFound".*"pendingRecords":25/);
    run.child.kill('SIGTERM');
    expect(await exited(run.child)).toEqual({ code: 0, signal: null });
    const stored = await storedByEid(run.dbPath, 'stray-worker-');
    expect([...stored.keys()].sort()).toEqual([...run.ids].sort());
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
  });

  it('workers forward what the spool of a single-process run still holds', async () => {
    const run = await serve(2, (root) => strandedSpool(root, 'stray-root', 25));
    await waitFor('the root spool to be forwarded', async () => {
      if (run.child.exitCode !== null) throw new Error(`serve exited: ${run.output()}`);
      return (await listSegments(run.root)).length === 0;
    });
    run.child.kill('SIGTERM');
    expect(await exited(run.child)).toEqual({ code: 0, signal: null });
    const stored = await storedByEid(run.dbPath, 'stray-root-');
    expect([...stored.keys()].sort()).toEqual([...run.ids].sort());
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
  });
});
