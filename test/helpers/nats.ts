import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, nkeyAuthenticator, nkeys, type NodeConnectionOptions } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { messageParts } from '../../src/bus/nats/delivery.js';
import { Value } from '@sinclair/typebox/value';
import { NatsConfig } from '../../src/bus/config.js';
import { freePort } from './net.js';
import { waitFor } from './wait.js';

/**
 * Real nats-server processes for tests: free loopback ports, JetStream on a temp store dir, stopped by PID.
 * Readiness is a condition (the monitor port's /healthz, then a JetStream API call), never a fixed sleep.
 */

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

export interface NatsTlsFiles {
  readonly cert: string;
  readonly key: string;
  /** CA that client certificates are verified against (with `verify`). */
  readonly ca?: string;
  /** Require and verify client certificates (mutual TLS). */
  readonly verify?: boolean;
}

export type NatsAuth =
  | { readonly user: string; readonly pass: string }
  | { readonly token: string }
  /** An nkey user: the server knows the public key, clients sign with the seed. */
  | { readonly nkey: string; readonly seed: string };

export interface NatsServerOptions {
  readonly tls?: NatsTlsFiles;
  readonly auth?: NatsAuth;
  /** CA file the harness's own clients trust (defaults to tls.ca), for readiness checks and leader lookups. */
  readonly clientCa?: string;
  /** Certificate and key the harness's own clients present when the servers verify clients. */
  readonly clientCert?: { readonly cert: string; readonly key: string };
  /** Address each node listens on, by index (default 127.0.0.1): nodes in network namespaces of their own. */
  readonly hosts?: readonly string[];
  /** Command prefix node i is started with (`ip netns exec <ns>`); it must exec, so the PID stays the server's. */
  readonly prefix?: (i: number) => readonly string[];
}

interface NatsNode {
  readonly name: string;
  readonly host: string;
  readonly prefix: readonly string[];
  readonly port: number;
  /** Chosen anew at each restart: another process may have taken it while the node was down. */
  monitorPort: number;
  readonly confFile: string;
  /** What the config file is written from (again at a restart, with the new monitor port). */
  readonly conf: Parameters<typeof serverConfig>[0];
  readonly logFile: string;
  proc?: ChildProcess;
  exited?: Promise<void>;
}

export interface NatsHandle {
  /** One client URL per node (tls:// when the servers require TLS). */
  readonly urls: readonly string[];
  /** server_name of each node, in index order. */
  readonly names: readonly string[];
  /** Temp dir holding configs, logs and stores. */
  readonly dir: string;
  pid(i: number): number | undefined;
  /** Sends `signal` to node i by PID and waits until the process has exited. */
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts node i again with its config and store, and waits until it is healthy. */
  restart(i: number): Promise<void>;
  /** Stops every node (SIGTERM, then SIGKILL if one lingers) and removes the temp dir. */
  stop(): Promise<void>;
  /** Connection options a client needs for these servers (auth, CA). */
  clientOptions(): NodeConnectionOptions;
  /**
   * Waits until every node's /healthz is 200 (JetStream in contact with the meta leader, its streams current) and
   * the JetStream API answers: after a partition heals, the cluster elects and catches up before it serves again.
   */
  healthy(): Promise<void>;
  /** Index of the node leading the stream (or the stream's consumer), from JetStream info `cluster.leader`. */
  leaderIndex(stream: string, consumer?: string): Promise<number>;
}

/** A single JetStream node. */
export function startNatsServer(options: NatsServerOptions = {}): Promise<NatsHandle> {
  return startNodes(1, options);
}

/** A JetStream cluster of `size` nodes, each with its own client, route and monitor ports. */
export function startNatsCluster(size = 3, options: NatsServerOptions = {}): Promise<NatsHandle> {
  return startNodes(size, options);
}

async function startNodes(size: number, options: NatsServerOptions): Promise<NatsHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-nats-'));
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const nodes: NatsNode[] = [];
  for (let i = 0; i < size; i++) {
    const name = `n${i}`;
    const port = await freePort();
    const monitorPort = await freePort();
    const storeDir = join(dir, name);
    mkdirSync(storeDir, { recursive: true });
    const confFile = join(dir, `${name}.conf`);
    const clusterPort = size > 1 ? clusterPorts[i] : undefined;
    const hostOf = (j: number) => options.hosts?.[j] ?? '127.0.0.1';
    const host = hostOf(i);
    const routes = size > 1 ? clusterPorts.flatMap((r, j) => (j === i ? [] : [`${hostOf(j)}:${r}`])) : [];
    const conf = { name, host, port, monitorPort, storeDir, clusterPort, routes, options };
    writeFileSync(confFile, serverConfig(conf));
    nodes.push({ name, host, prefix: options.prefix?.(i) ?? [], port, monitorPort, confFile, conf, logFile: join(dir, `${name}.log`) });
  }
  const scheme = options.tls ? 'tls' : 'nats';
  const handle = buildHandle(dir, nodes, scheme, options);
  try {
    for (const node of nodes) spawnNode(node);
    await Promise.all(nodes.map((node) => waitHealthy(node)));
    await waitJetStream(handle);
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

function buildHandle(dir: string, nodes: NatsNode[], scheme: string, options: NatsServerOptions): NatsHandle {
  const node = (i: number): NatsNode => {
    const n = nodes[i];
    if (!n) throw new Error(`no NATS node ${i}`);
    return n;
  };
  const handle: NatsHandle = {
    urls: nodes.map((n) => `${scheme}://${n.host}:${n.port}`),
    names: nodes.map((n) => n.name),
    dir,
    pid: (i) => node(i).proc?.pid,
    kill: async (i, signal = 'SIGKILL') => {
      const n = node(i);
      if (!n.proc || n.proc.exitCode !== null || n.proc.signalCode !== null) return;
      n.proc.kill(signal);
      await n.exited;
    },
    restart: async (i) => {
      const n = node(i);
      if (n.proc && n.proc.exitCode === null && n.proc.signalCode === null) throw new Error(`${n.name} is still running`);
      // The client and route ports must stay (clients and peers know them); the monitor port, only the
      // harness's, is taken afresh so a port grabbed by another process meanwhile cannot stop the restart.
      n.monitorPort = await freePort();
      writeFileSync(n.confFile, serverConfig({ ...n.conf, monitorPort: n.monitorPort }));
      spawnNode(n);
      await waitHealthy(n);
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => stopNode(n)));
      rmSync(dir, { recursive: true, force: true });
    },
    clientOptions: () => clientOptions(handle.urls, options),
    healthy: async () => {
      await Promise.all(nodes.map((n) => waitHealthy(n)));
      await waitJetStream(handle);
    },
    // Retried until a leader is known: right after a fault the cluster may still be electing one ("JetStream
    // system temporarily unavailable", or no leader in the info).
    leaderIndex: (stream, consumer) =>
      waitFor(`a known leader of ${stream}${consumer ? `/${consumer}` : ''}`, async () => {
        const nc = await connect({ ...handle.clientOptions(), reconnect: false, timeout: 5_000 });
        try {
          const jsm = await jetstreamManager(nc, { timeout: 5_000 });
          const info = consumer ? await jsm.consumers.info(stream, consumer) : await jsm.streams.info(stream);
          const leader = info.cluster?.leader;
          const index = leader ? handle.names.indexOf(leader) : -1;
          if (index < 0) throw new Error(`no known leader (got ${leader})`);
          return index + 1; // waitFor wants a truthy value
        } finally {
          await nc.close();
        }
      }, { timeoutMs: 30_000, intervalMs: 200 }).then((i) => i - 1),
  };
  return handle;
}

function spawnNode(node: NatsNode): void {
  const log = openSync(node.logFile, 'a');
  const [command = NATS_SERVER, ...rest] = [...node.prefix, NATS_SERVER];
  const proc = spawn(command, [...rest, '-c', node.confFile], { stdio: ['ignore', log, log] });
  closeSync(log);
  node.proc = proc;
  node.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
  proc.once('error', () => {});
}

async function stopNode(node: NatsNode): Promise<void> {
  const proc = node.proc;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  try {
    await waitFor(`${node.name} to exit`, () => proc.exitCode !== null || proc.signalCode !== null, { timeoutMs: 10_000 });
  } catch {
    proc.kill('SIGKILL');
    await node.exited;
  }
}

/** The last lines of a node's log, for failure messages (the log goes with the cluster's temp dir). */
function logTail(node: NatsNode, lines: number): string {
  try {
    return readFileSync(node.logFile, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '(no log)';
  }
}

async function waitHealthy(node: NatsNode): Promise<void> {
  try {
    await waitFor(`${node.name} /healthz`, async () => {
      if (node.proc?.exitCode !== null && node.proc?.exitCode !== undefined) {
        throw new Error(`${node.name} exited with ${node.proc.exitCode}: ${logTail(node, 5)}`);
      }
      const res = await fetch(`http://${node.host}:${node.monitorPort}/healthz`, { signal: AbortSignal.timeout(5_000) });
      // Its body says what is not current (a stream or consumer catching up, no meta leader).
      if (!res.ok) throw new Error(`${res.status} ${(await res.text()).trim()}`);
      return true;
    });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; ${node.name}'s log ends: ${logTail(node, 20)}`, { cause: err });
  }
}

/** The meta leader is elected and the JetStream API answers (a cluster needs this after /healthz). */
async function waitJetStream(handle: NatsHandle): Promise<void> {
  await waitFor('the JetStream API', async () => {
    const nc = await connect({ ...handle.clientOptions(), reconnect: false, timeout: 2_000 });
    try {
      const jsm = await jetstreamManager(nc, { timeout: 2_000 });
      await jsm.getAccountInfo();
      return true;
    } finally {
      await nc.close();
    }
  });
}

function clientOptions(urls: readonly string[], options: NatsServerOptions): NodeConnectionOptions {
  const auth = options.auth;
  const ca = options.clientCa ?? options.tls?.ca;
  return {
    servers: [...urls],
    ...(auth && 'token' in auth ? { token: auth.token } : {}),
    ...(auth && 'user' in auth ? { user: auth.user, pass: auth.pass } : {}),
    ...(auth && 'nkey' in auth ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(auth.seed)) } : {}),
    ...(options.tls
      ? {
          tls: {
            ...(ca ? { caFile: ca } : {}),
            ...(options.clientCert ? { certFile: options.clientCert.cert, keyFile: options.clientCert.key } : {}),
          },
        }
      : {}),
  };
}

function serverConfig(p: {
  name: string;
  host: string;
  port: number;
  monitorPort: number;
  storeDir: string;
  clusterPort: number | undefined;
  routes: string[];
  options: NatsServerOptions;
}): string {
  const lines = [
    `server_name: ${p.name}`,
    `listen: "${p.host}:${p.port}"`,
    `http: "${p.host}:${p.monitorPort}"`,
    `jetstream { store_dir: ${JSON.stringify(p.storeDir)}, max_memory_store: 64MB, max_file_store: 512MB }`,
  ];
  if (p.clusterPort !== undefined) {
    const routes = p.routes.map((r) => `"nats-route://${r}"`).join(', ');
    lines.push(`cluster { name: gatehouse-test, listen: "${p.host}:${p.clusterPort}", routes: [${routes}] }`);
  }
  const { tls, auth } = p.options;
  if (tls) {
    const ca = tls.ca ? `, ca_file: ${JSON.stringify(tls.ca)}` : '';
    lines.push(`tls { cert_file: ${JSON.stringify(tls.cert)}, key_file: ${JSON.stringify(tls.key)}${ca}, verify: ${tls.verify === true} }`);
  }
  if (auth && 'token' in auth) lines.push(`authorization { token: ${JSON.stringify(auth.token)} }`);
  if (auth && 'user' in auth) lines.push(`authorization { user: ${JSON.stringify(auth.user)}, password: ${JSON.stringify(auth.pass)} }`);
  if (auth && 'nkey' in auth) lines.push(`authorization { users: [ { nkey: ${JSON.stringify(auth.nkey)} } ] }`);
  return `${lines.join('\n')}\n`;
}

export interface TlsCerts {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed nothing here: verifying the server with it must fail. */
  readonly otherCa: string;
}

/** A test CA, a server certificate for 127.0.0.1/localhost, a client certificate and an unrelated CA (openssl CLI). */
export function generateTlsCerts(dir: string): TlsCerts {
  mkdirSync(dir, { recursive: true });
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const makeCa = (name: string) =>
    openssl('req', '-x509', ...ec, '-keyout', file(`${name}.key`), '-out', file(`${name}.pem`), '-days', '2',
      '-subj', `/CN=Gatehouse test ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const makeLeaf = (name: string, usage: string) => {
    writeFileSync(file(`${name}.ext`), `subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=${usage}\n`);
    openssl('req', ...ec, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
      '-CAcreateserial', '-out', file(`${name}.pem`), '-days', '2', '-extfile', file(`${name}.ext`));
  };
  makeCa('ca');
  makeCa('other-ca');
  makeLeaf('server', 'serverAuth');
  makeLeaf('client', 'clientAuth');
  if (!existsSync(file('server.pem'))) throw new Error(`openssl did not write ${file('server.pem')}`);
  return {
    dir,
    ca: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
    otherCa: file('other-ca.pem'),
  };
}

/** A decoded NatsConfig slice, as the config loader would produce it, from config.json-style fields. */
export function natsTestConfig(fields: Record<string, unknown>): NatsConfig {
  return Value.Decode(NatsConfig, Value.Default(NatsConfig, Value.Clone(fields)));
}

/** A fresh nkey user: the public key for the server config, the seed for the client. */
export function createNkeyUser(): { nkey: string; seed: string } {
  const user = nkeys.createUser();
  return { nkey: user.getPublicKey(), seed: new TextDecoder().decode(user.getSeed()) };
}

/**
 * Every event copy the stream holds on `subject`, by id: packs (several events in one message) are opened, so a
 * count above 1 is an event stored twice in the stream. Read message by message by sequence, from the stream
 * leader: a consumer made to read would be placed on a peer, and right after a node is killed the cluster may
 * place it on the dead one, where creating it times out (10 s, up to a minute in a row in checks).
 */
export function eventCopies(jsm: JetStreamManager, stream: string, subject: string): Promise<Map<string, number>> {
  // Read again from the start when a request fails: right after a node was killed, the stream may have no leader.
  return waitFor(`the events on ${subject} in ${stream}`, () => readEventCopies(jsm, stream, subject));
}

/** Messages read by sequence at once; each is one request to the stream leader. */
const READ_CONCURRENCY = 32;

async function readEventCopies(jsm: JetStreamManager, stream: string, subject: string): Promise<Map<string, number>> {
  const copies = new Map<string, number>();
  const { state, cluster } = await jsm.streams.info(stream, { subjects_filter: subject });
  // A clustered stream's info without a leader is not the stream's state (answered while it elects): read again
  // rather than count what it says.
  if (cluster?.name && !cluster.leader) throw new Error(`${stream} has no leader`);
  const expected = state.subjects?.[subject] ?? 0;
  if (expected === 0) return copies;
  let read = 0;
  for (let from = state.first_seq; from <= state.last_seq; from += READ_CONCURRENCY) {
    const seqs = Array.from({ length: Math.min(READ_CONCURRENCY, state.last_seq - from + 1) }, (_, i) => from + i);
    // null: a sequence the stream no longer holds (deleted or purged).
    for (const m of await Promise.all(seqs.map((seq) => jsm.streams.getMessage(stream, { seq })))) {
      if (m === null || m.subject !== subject) continue;
      read++;
      for (const part of messageParts({ headers: m.header, data: m.data, seq: m.seq })) copies.set(part.id, (copies.get(part.id) ?? 0) + 1);
    }
  }
  if (read !== expected) throw new Error(`read ${read} messages on ${subject}, the stream's info counts ${expected}`);
  return copies;
}
