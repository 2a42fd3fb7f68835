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
    server: async () => {
      const bus = (await readyz(child.url)).body.checks?.bus as { detail?: string } | undefined;
      return /^([\d.]+:\d+)/.exec(bus?.detail ?? '')?.[1];
    },
  };
}

/** The consumer in its namespace, storing to DuckDB and, when given, delivering to a webhook receiver. */
export function startNetConsumer(lab: NetLab, rig: Rig, setup: Setup, hook?: Receiver): Promise<Child> {
  const destinations: Raw = hook
    ? { destinations: { webhooks: [{ name: 'hook', url: `${hook.url}/hook`, secret: 'k', batchWait: '10ms', retryMin: '20ms', retryMax: '200ms' }] } }
    : {};
  return startConsumeChild(rig, setup, destinations, lab.exec('cons'));
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
