import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { spawnCli, writeConfig, exited } from './helpers/cli.js';
import { startNatsServer, type NatsHandle } from './helpers/nats.js';
import { waitFor } from './helpers/wait.js';

let nats: NatsHandle;
let child: ChildProcess;
let dir: string;
let metricsUrl = '';
let out = '';

beforeAll(async () => {
  nats = await startNatsServer();
  await nats.kill(0); // the consumer starts before NATS; the first test brings NATS up
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-consume-'));
  const { path } = writeConfig({
    log: { level: 'info' },
    bus: { kind: 'nats', nats: { servers: nats.urls } },
    consumer: { metrics: { port: 0 } },
    sinks: { duckdb: { path: join(dir, 'db.duckdb') } },
  });
  child = spawnCli(['consume', '--config', path]);
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  metricsUrl = await waitFor('the consumer to log its metrics address', () => {
    if (child.exitCode !== null) throw new Error(`consume exited ${child.exitCode}: ${out}`);
    return /"event":"consumerMetricsListening".*"metrics":"(http:\/\/[^"]+)"/.exec(out)?.[1];
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('gatehouse consume', () => {
  it('started before NATS: waits for it, retrying, not ready meanwhile, and consumes once it is up', async () => {
    await waitFor('two failed tries logged', () => (out.match(/"event":"busUnavailable"/g) ?? []).length >= 2);
    expect(child.exitCode).toBeNull();
    const waiting = await fetch(`${metricsUrl}/readyz`);
    expect(waiting.status).toBe(503);
    expect(await waiting.json()).toMatchObject({ ready: false, checks: { bus: { status: 'down' } } });
    await nats.restart(0);
    await waitFor('consumerStarted', () => out.includes('"event":"consumerStarted"'), { timeoutMs: 30_000 });
    expect(out).toMatch(/"event":"busConnected"/);
    await waitFor('/readyz 200', async () => (await fetch(`${metricsUrl}/readyz`)).status === 200);
  });

  it('serves its metrics (with the JetStream lag), liveness and readiness', async () => {
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/^gatehouse_consumer_pending \d+$/m);
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${metricsUrl}/readyz`);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { bus: { status: 'up' }, store: { status: 'up' } } });
  });

  it('reports not ready while NATS is down, and exits 0 on SIGTERM', async () => {
    await nats.kill(0);
    await waitFor('/readyz 503', async () => (await fetch(`${metricsUrl}/readyz`)).status === 503);
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
  });
});
