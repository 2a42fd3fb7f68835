import type { Receiver } from '../helpers/receivers.js';
import {
  metricValue,
  readyz,
  servePorts,
  startConsumeChild,
  startServeChild,
  type Child,
  type FaultCluster,
  type Rig,
  type ServeChild,
  type Setup,
} from './harness.js';
import { freePort } from '../helpers/net.js';
import type { NetLab } from './netlab.js';

/** Gatehouse processes in the network lab's namespaces: the gateway on host `gw`, the consumer on host `cons`. */

export interface NetGateway extends ServeChild {
  /** The gateway's own answer times of main-listener "ops" routes (/readyz, /healthz), from its histogram. */
  opsAnswers(): Promise<{ count: number; under10ms: number; under100ms: number }>;
  /** Records the gateway forwarded (acknowledged by JetStream) so far. */
  forwarded(): Promise<number>;
  /** The NATS server the gateway is connected to (host:port), from its /readyz detail. */
  server(): Promise<string | undefined>;
}

type Raw = Record<string, Record<string, unknown>>;

export async function startNetGateway(lab: NetLab, rig: Rig, setup: Setup, overrides: Raw = {}): Promise<NetGateway> {
  const ports = await servePorts();
  // Off loopback (the test reaches it over the bridge), so the admin listener needs a token.
  const adminToken = 'network-fault-suite-admin-token-0123456789';
  const where = { host: lab.host('gw').ip, prefix: lab.exec('gw'), adminToken };
  const child = await startServeChild(rig, setup, ports, overrides, where);
  const metrics = async () =>
    (await fetch(`http://${where.host}:${ports.adminPort}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).text();
  return {
    ...child,
    server: () => busServer(child.url),
    forwarded: async () => metricValue(await metrics(), 'gatehouse_spool_forwarded_total'),
    opsAnswers: async () => {
      const text = await metrics();
      const series = (suffix: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`gatehouse_http_request_duration_seconds${suffix}`));
        return Number(line?.split(' ').at(-1) ?? 0);
      };
      const labels = 'listener="main",class="ops"';
      return {
        count: series(`_count{${labels}}`),
        under10ms: series(`_bucket{le="0.01",${labels}}`),
        under100ms: series(`_bucket{le="0.1",${labels}}`),
      };
    },
  };
}

/** The NATS server (host:port) a process is connected to, from the bus check's detail in its /readyz at `base`. */
async function busServer(base: string): Promise<string | undefined> {
  const bus = (await readyz(base)).body.checks?.bus as { detail?: string } | undefined;
  return /^([\d.]+:\d+)/.exec(bus?.detail ?? '')?.[1];
}

export interface NetConsumer extends Child {
  /** Events the consumer stored in DuckDB so far (its own count, duplicates skipped not included). */
  stored(): Promise<number>;
  /** The NATS server the consumer is connected to (host:port), from its /readyz detail. */
  server(): Promise<string | undefined>;
}

/**
 * The consumer in its namespace, storing to DuckDB and, when given, delivering to a webhook receiver. Its
 * metrics listener is on its own address, so the test reads its counts and its NATS server over the bridge.
 */
export async function startNetConsumer(lab: NetLab, rig: Rig, setup: Setup, hook?: Receiver): Promise<NetConsumer> {
  const destinations: Raw = hook
    ? { destinations: { webhooks: [{ name: 'hook', url: `${hook.url}/hook`, secret: 'k', batchWait: '10ms', retryMin: '20ms', retryMax: '200ms' }] } }
    : {};
  const metrics = { host: lab.host('cons').ip, port: await freePort() };
  const child = await startConsumeChild(rig, setup, { ...destinations, consumer: { metrics } }, lab.exec('cons'));
  const base = `http://${metrics.host}:${metrics.port}`;
  return {
    ...child,
    stored: async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      // The labelled series appears with the first stored event.
      return text.includes('gatehouse_sink_events_stored_total{') ? metricValue(text, 'gatehouse_sink_events_stored_total{sink="duckdb"}') : 0;
    },
    server: () => busServer(base),
  };
}

/** Messages (packs) in the scenario's stream: grows whenever the gateway forwards. */
export async function streamMessages(cluster: FaultCluster, setup: Setup): Promise<number> {
  return (await cluster.jsm.streams.info(setup.stream)).state.messages;
}

/** The lab host whose address `server` (host:port) is on. */
export function hostOf(lab: NetLab, labels: readonly string[], server: string | undefined): string {
  const label = labels.find((l) => server?.startsWith(`${lab.host(l).ip}:`));
  if (!label) throw new Error(`the gateway's server ${server} is none of ${labels.join(', ')}`);
  return label;
}

/** Copies per eid of the events a webhook receiver accepted. */
export function hookCopies(hook: Receiver, prefix: string): Map<string, number> {
  const copies = new Map<string, number>();
  for (const id of hook.acceptedIds()) if (id.startsWith(prefix)) copies.set(id, (copies.get(id) ?? 0) + 1);
  return copies;
}
