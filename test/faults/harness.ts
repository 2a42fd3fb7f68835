import { afterAll, afterEach, beforeAll } from 'vitest';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { ConsumerLag } from '../../src/bus/bus.js';
import { createNatsBus } from '../../src/bus/nats/index.js';
import { parseConfig } from '../../src/settings/load.js';
import { ConfigSchema, type Config } from '../../src/settings/schema.js';
import { createConsumer, type Consumer } from '../../src/consumer/consumer.js';
import { createGateway, type Gateway } from '../../src/gateway/gateway.js';
import { createDuckDbStore, type DuckDbStore } from '../../src/sinks/duckdb/index.js';
import type { Sink } from '../../src/sinks/sink.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { spawnCli, exited } from '../helpers/cli.js';
import { startNatsCluster, startNatsServer, type NatsHandle, type NatsServerOptions } from '../helpers/nats.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The fault suite's rig: a real JetStream cluster, gateways and consumers in this process or as `gatehouse`
 * child processes. Everything started here is registered with a Rig and stopped by `rig.release()`
 * (children by PID), which the scenarios call from afterEach and afterAll.
 */

export const DURABLE = 'gatehouse-store';

type Raw = Record<string, Record<string, unknown>>;

/** The part of the config every process of one scenario shares: the bus, the consumer, the DuckDB file. */
export interface Setup {
  readonly dir: string;
  readonly stream: string;
  readonly subject: string;
  readonly deadLetterSubject: string;
  readonly dbPath: string;
  readonly spoolDir: string;
  /** A full config object (as config.json holds it) with `overrides` merged per top-level section. */
  raw(overrides?: Raw): Raw;
}

export function setupFor(nats: NatsHandle, name: string, replicas = 3): Setup {
  const dir = mkdtempSync(join(tmpdir(), `gatehouse-fault-${name}-`));
  const stream = `FAULT_${name.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;
  const subject = `fault.${name}.events`;
  const deadLetterSubject = `fault.${name}.dead`;
  const dbPath = join(dir, 'events.duckdb');
  const spoolDir = join(dir, 'spool');
  const base: Raw = {
    server: { listen: { host: '127.0.0.1', port: 0 }, shutdownTimeout: '10s' },
    admin: { listen: { host: '127.0.0.1', port: 0 } },
    log: { level: 'warn' },
    // Quick retries: an outage in these tests lasts seconds, and the catch-up should too.
    spool: { dir: spoolDir, retryMin: '50ms', retryMax: '1s' },
    bus: { kind: 'nats', nats: { servers: [...nats.urls], stream, subject, deadLetterSubject, replicas, connectTimeout: '2s' } },
    // What a killed consumer, or a restarted node, held comes back after 5 s rather than the default 30 s.
    consumer: { durable: DURABLE, batchSize: 200, batchWait: '50ms', retryBackoff: '200ms', ackWait: '5s', metrics: { port: 0 } },
    sinks: { duckdb: { path: dbPath } },
    // The load comes from one loopback client; limiting it per IP is not what these tests are about.
    ...('rateLimit' in ConfigSchema.properties ? { rateLimit: { enabled: false } } : {}),
  };
  return {
    dir,
    stream,
    subject,
    deadLetterSubject,
    dbPath,
    spoolDir,
    raw(overrides = {}) {
      const out: Raw = structuredClone(base);
      for (const [section, values] of Object.entries(overrides)) out[section] = { ...out[section], ...values };
      return out;
    },
  };
}

/** Things a scenario started, released in reverse order; child processes are killed by PID. */
export class Rig {
  private readonly closers: Array<() => Promise<void>> = [];
  private readonly children = new Set<ChildProcess>();

  defer(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  adopt(child: ChildProcess): void {
    this.children.add(child);
  }

  async release(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // It exited meanwhile.
        }
      }
      await exited(child);
    }
    this.children.clear();
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => undefined);
  }
}

/** A 3-node cluster plus a test-side connection for consumer info, raw publishes and dead letters. */
export interface FaultCluster {
  readonly nats: NatsHandle;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  lag(stream: string, durable?: string): Promise<ConsumerLag>;
  stop(): Promise<void>;
}

export async function startCluster(size = 3, options: NatsServerOptions = {}): Promise<FaultCluster> {
  const nats = size === 1 ? await startNatsServer(options) : await startNatsCluster(size, options);
  const nc = await connect({ ...nats.clientOptions(), maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  const jsm = await jetstreamManager(nc, { timeout: 5_000 });
  return {
    nats,
    nc,
    jsm,
    async lag(stream, durable = DURABLE) {
      const info = await jsm.consumers.info(stream, durable);
      return { pending: info.num_pending, ackPending: info.num_ack_pending };
    },
    async stop() {
      await nc.close().catch(() => undefined);
      await nats.stop();
    },
  };
}

const silent = () => new Telemetry(createLogger('silent'), { defaultMetrics: false });

/** A gateway (`serve`) in this process. */
export interface LocalGateway {
  readonly gateway: Gateway;
  readonly url: string;
  pendingRecords(): Promise<number>;
  readyz(): Promise<{ status: number; body: ReadyBody }>;
  stop(): Promise<void>;
}

export interface ReadyBody {
  ready?: boolean;
  checks?: Record<string, { status: string; reason?: string }>;
}

export async function startLocalGateway(rig: Rig, setup: Setup, overrides: Raw = {}): Promise<LocalGateway> {
  const config = parseConfig(setup.raw(overrides), 'fault-test', {});
  const gateway = await createGateway(config, { logger: createLogger('silent'), version: 'test' });
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= gateway.shutdown());
  rig.defer(stop);
  const { main } = await gateway.start();
  return {
    gateway,
    url: main,
    pendingRecords: async () => metricValue(await gateway.telemetry.metrics(), 'gatehouse_spool_pending_records'),
    readyz: () => readyz(main),
    stop,
  };
}

/** A consumer (`consume`) in this process: NATS bus, the DuckDB store, optionally behind a Sink wrapper. */
export interface LocalConsumer {
  readonly consumer: Consumer;
  readonly store: DuckDbStore;
  readonly telemetry: Telemetry;
  stop(): Promise<void>;
}

export async function startLocalConsumer(
  rig: Rig,
  setup: Setup,
  options: { overrides?: Raw; wrap?: (sink: Sink) => Sink } = {},
): Promise<LocalConsumer> {
  const config: Readonly<Config> = parseConfig(setup.raw(options.overrides), 'fault-test', {});
  const telemetry = silent();
  const bus = createNatsBus({ config: config.bus.nats, telemetry });
  const store = createDuckDbStore({ config: config.sinks.duckdb, telemetry });
  const sink = options.wrap ? options.wrap(store) : store;
  const consumer = createConsumer({ config: config.consumer, bus, sinks: [sink], telemetry, subject: config.bus.nats.subject });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await consumer.close();
      await bus.close();
      await store.close();
    })());
  rig.defer(stop);
  await store.start();
  await bus.start();
  await consumer.start();
  return { consumer, store, telemetry, stop };
}

/** A `gatehouse serve|consume` child process on a config file of its own. */
export interface Child {
  readonly proc: ChildProcess;
  /** The last part of its stdout and stderr, for failure messages. */
  output(): string;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal by PID (no-op once it has exited). */
  signal(signal: NodeJS.Signals): void;
}

export function spawnChild(rig: Rig, setup: Setup, command: 'serve' | 'consume', raw: Raw, prefix: readonly string[] = []): Child {
  const path = join(setup.dir, `${command}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.json`);
  writeFileSync(path, JSON.stringify(raw, null, 2));
  const proc = spawnCli([command, '--config', path], {}, prefix);
  rig.adopt(proc);
  let tail = '';
  const keep = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-8_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return {
    proc,
    output: () => tail,
    exited: () => exited(proc),
    signal(signal) {
      if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
      try {
        process.kill(proc.pid, signal);
      } catch {
        // It exited meanwhile.
      }
    },
  };
}

/** A `serve` child on fixed ports (so a restart comes back where the clients already send). */
export interface ServeChild extends Child {
  readonly url: string;
  pendingRecords(): Promise<number>;
}

export interface ServePorts {
  readonly port: number;
  readonly adminPort: number;
}

export async function servePorts(): Promise<ServePorts> {
  return { port: await freePort(), adminPort: await freePort() };
}

/** Where a `serve` child runs: its address, a command prefix (a network namespace), the admin token off loopback. */
export interface ServeWhere {
  readonly host?: string;
  readonly prefix?: readonly string[];
  readonly adminToken?: string;
}

export async function startServeChild(
  rig: Rig,
  setup: Setup,
  ports: ServePorts,
  overrides: Raw = {},
  { host = '127.0.0.1', prefix = [], adminToken }: ServeWhere = {},
): Promise<ServeChild> {
  const raw = setup.raw({
    ...overrides,
    // One process (the default is one per core): the suites signal, cut and count a single gateway process.
    server: { workers: 1, ...overrides.server, listen: { host, port: ports.port } },
    admin: { listen: { host, port: ports.adminPort }, ...(adminToken ? { token: adminToken } : {}) },
  });
  const child = spawnChild(rig, setup, 'serve', raw, prefix);
  const url = `http://${host}:${ports.port}`;
  await waitFor('the gateway child to be ready', async () => {
    if (child.proc.exitCode !== null) throw new Error(`serve exited ${child.proc.exitCode}: ${child.output()}`);
    return (await readyz(url).catch(() => undefined))?.status === 200;
  });
  const auth: Record<string, string> = adminToken ? { authorization: `Bearer ${adminToken}` } : {};
  return {
    ...child,
    url,
    pendingRecords: async () => {
      const text = await (await fetch(`http://${host}:${ports.adminPort}/metrics`, { headers: auth })).text();
      return metricValue(text, 'gatehouse_spool_pending_records');
    },
  };
}

/** A `consume` child; resolves once it logged that it consumes. */
export async function startConsumeChild(rig: Rig, setup: Setup, overrides: Raw = {}, prefix: readonly string[] = []): Promise<Child> {
  const child = spawnChild(rig, setup, 'consume', setup.raw({ log: { level: 'info' }, ...overrides }), prefix);
  await waitFor('the consumer child to start', () => {
    if (child.proc.exitCode !== null) throw new Error(`consume exited ${child.proc.exitCode}: ${child.output()}`);
    return child.output().includes('"consumerStarted"');
  });
  return child;
}

export async function readyz(base: string): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

/** The value of an unlabelled metric in Prometheus text. */
export function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no metric ${name}`);
  return Number(line.slice(name.length + 1));
}

/**
 * Sets the file-size limit (RLIMIT_FSIZE) of a running process, as a full disk would stop its writes: a write past
 * `bytes` fails with EFBIG, part-way if it started below. Only the soft limit moves, so it can be lifted again
 * ('unlimited') without privileges.
 */
export function limitFileSize(pid: number, bytes: number | 'unlimited'): void {
  execFileSync('prlimit', ['--pid', String(pid), `--fsize=${bytes}:unlimited`]);
}

/**
 * Deletes a scenario's stream (and its consumers) once the scenario is over, retried while the cluster elects: the
 * next scenario's cluster then carries no replica of it to catch up, which a node's /healthz waits for.
 */
export async function dropStream(cluster: FaultCluster | undefined, setup: Setup | undefined): Promise<void> {
  if (!cluster || !setup) return;
  await waitFor(`${setup.stream} to be deleted`, async () => {
    try {
      return await cluster.jsm.streams.delete(setup.stream);
    } catch (err) {
      if (/stream not found/i.test(err instanceof Error ? err.message : String(err))) return true;
      throw err;
    }
  }, { timeoutMs: 60_000, intervalMs: 250 });
}

/** Removes a scenario's temp dir (spool, DuckDB file, configs). */
export function removeDir(setup: Setup | undefined): void {
  if (setup) rmSync(setup.dir, { recursive: true, force: true });
}

export interface FaultSuite {
  readonly rig: Rig;
  /** The cluster of this file (started in beforeAll). */
  readonly cluster: FaultCluster;
  /** A scenario's stream, subjects and directories on this cluster; removed after the test. */
  scenario(name: string, replicas?: number): Setup;
}

/**
 * The lifecycle every fault scenario shares: one cluster per file, the scenario's processes released and its
 * directories removed after each test, the cluster stopped at the end (also when a test failed half-way).
 */
export function faultSuite(size: number): FaultSuite {
  const rig = new Rig();
  let cluster: FaultCluster | undefined;
  let setup: Setup | undefined;
  beforeAll(async () => {
    cluster = await startCluster(size);
  });
  afterEach(async () => {
    await rig.release();
    removeDir(setup);
    setup = undefined;
  });
  afterAll(async () => {
    await rig.release();
    await cluster?.stop();
  });
  return {
    rig,
    get cluster() {
      if (!cluster) throw new Error('the fault cluster is not started');
      return cluster;
    },
    scenario(name, replicas = size) {
      setup = setupFor(this.cluster.nats, name, replicas);
      return setup;
    },
  };
}
