import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { Bus, BusMessage, Delivery } from '../src/bus/bus.js';
import type { NatsConfig } from '../src/bus/config.js';
import { createNatsBus } from '../src/bus/nats/index.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import { createLogger } from '../src/telemetry/logger.js';
import { eventCopies, natsTestConfig, startNatsCluster, type NatsHandle } from './helpers/nats.js';
import { waitFor } from './helpers/wait.js';

/**
 * Time for a test that kills a leader. It waits for up to three elections in turn (the fresh stream's before its
 * first publish, the stream's or the consumer's after the kill, then the consumer's re-pull), each up to 13 s in
 * checks with both cores busy, and each wait allows 90 s. The test once passed the 60 s default in a CI run. The
 * likely cause, seen since in repeated runs (7-68 s): reading the stream back made a consumer, which the cluster
 * sometimes placed on the killed node, and each try to create it timed out after 10 s. `eventCopies` now reads
 * by sequence from the stream leader; the test takes 7-12 s. The fault suite's kill tests have the same budget.
 */
const LEADER_KILL_BUDGET_MS = 180_000;
const telemetry = () => new Telemetry(createLogger('silent'), { defaultMetrics: false });
/** Marked as the spool marks group commits: packs of five. */
const batch = (prefix: string, n: number): BusMessage[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, data: new TextEncoder().encode(`${prefix}-${i}`), packEnd: i % 5 === 4 }));

describe('NATS bus on a 3-node JetStream cluster', () => {
  let cluster: NatsHandle;
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  const buses: Bus[] = [];
  let n = 0;

  /** A gateway-side and a consumer-side bus on one fresh R3 stream, each with its own connection. */
  const setup = async () => {
    n += 1;
    const config = natsTestConfig({
      servers: cluster.urls,
      stream: `R3_${n}`,
      subject: `r3n${n}.events`,
      deadLetterSubject: `r3n${n}.dead`,
      replicas: 3,
    });
    const gateway = createNatsBus({ config, telemetry: telemetry() });
    const consumer = createNatsBus({ config, telemetry: telemetry() });
    buses.push(gateway, consumer);
    await gateway.start();
    await consumer.start();
    return { config, gateway, consumer };
  };
  /** The caller's retry (the spool's forwarder): the same batch again until JetStream acknowledges it. */
  const publishUntilAcked = (bus: Bus, messages: BusMessage[]) =>
    waitFor('a publish to be acknowledged', () => bus.publish(messages).then(() => true), { timeoutMs: 90_000, intervalMs: 200 });
  /**
   * A gateway-side bus on a fresh R3 stream that has published once: its standby connection's server, and the node
   * publishes go out on (named by the ready bus check).
   */
  const publishingWithStandby = async (t: Telemetry) => {
    n += 1;
    const config = natsTestConfig({ servers: cluster.urls, stream: `R3_${n}`, subject: `r3n${n}.events`, deadLetterSubject: `r3n${n}.dead`, replicas: 3 });
    const gateway = createNatsBus({ config, telemetry: t });
    buses.push(gateway);
    await gateway.start();
    await publishUntilAcked(gateway, batch('before', 20));
    // Opened at the first publish, in the background.
    const standby = await waitFor('the standby connection', async () => /gatehouse_nats_standby_total\{server="([^"]+)"\}/.exec(await t.metrics())?.[1]);
    const inUse = await waitFor('the server in use, named by the ready bus check', async () => {
      const health = await gateway.healthcheck();
      return health.status === 'up' ? health.detail?.split(';')[0] : undefined;
    });
    return { config, gateway, standby, inUse, node: cluster.urls.findIndex((u) => u.endsWith(`//${inUse}`)) };
  };
  /** Waits for `count` events in the stream, then expects `count` ids there, each once. */
  const expectStoredOnce = async (config: NatsConfig, count: number) => {
    await waitFor(`the stream to count ${count} events`, async () => (await eventsIn(config.stream, config.subject)) >= count);
    const copies = await eventCopies(jsm, config.stream, config.subject);
    expect(copies.size).toBe(count);
    expect([...copies.values()].every((c) => c === 1)).toBe(true);
  };
  /** Waits for publishing to have moved to the standby connection once. */
  const movedTo = (t: Telemetry, standby: string) =>
    waitFor('publishing to move', async () => (await t.metrics()).includes(`gatehouse_nats_publish_moved_total{server="${standby}"} 1`));
  /** Event copies in the stream (a message may be a pack of several events). */
  const eventsIn = async (stream: string, subject: string) => {
    let copies = 0;
    for (const n of (await eventCopies(jsm, stream, subject)).values()) copies += n;
    return copies;
  };
  const killLeader = async (stream: string, consumer?: string) => {
    const leader = await cluster.leaderIndex(stream, consumer);
    await cluster.kill(leader, 'SIGKILL');
    return leader;
  };

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    admin = await connect({ servers: [...cluster.urls], maxReconnectAttempts: -1 });
    jsm = await jetstreamManager(admin, { timeout: 10_000 });
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await admin?.close();
    await cluster?.stop();
  });

  it('creates the stream with the configured replicas', async () => {
    const { config } = await setup();
    const info = await jsm.streams.info(config.stream);
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas).toHaveLength(2);
    expect(cluster.names).toContain(info.cluster?.leader);
  });

  it('stores every id exactly once when the stream leader is killed mid-publish', async () => {
    const { config, gateway } = await setup();
    let sent = 0;
    const kill = { done: false, node: -1 };
    let afterKill = 0;
    // Publish continuously; keep going until well after the kill, so batches are in flight during the election.
    const publishing = (async () => {
      while (!kill.done || afterKill < 10) {
        await publishUntilAcked(gateway, batch(`b${sent}`, 20));
        sent += 1;
        if (kill.done) afterKill += 1;
      }
    })();
    await waitFor('some batches before the kill', () => sent >= 5);
    kill.node = await killLeader(config.stream);
    kill.done = true;
    try {
      await publishing;
      await waitFor('the stream to count every batch', async () => (await eventsIn(config.stream, config.subject)) >= sent * 20);
      expect(await eventsIn(config.stream, config.subject)).toBe(sent * 20);
      const info = await jsm.streams.info(config.stream);
      expect(info.cluster?.leader).not.toBe(cluster.names[kill.node]);
    } finally {
      // The next tests need all three nodes, settled.
      await cluster.restart(kill.node);
      await cluster.healthy();
    }
  }, LEADER_KILL_BUDGET_MS);

  it('moves publishing to its standby connection, on another node, the moment the node in use is lost, and stores every id once', async () => {
    const t = telemetry();
    const { config, gateway, standby, inUse, node } = await publishingWithStandby(t);
    expect(standby).not.toBe(inUse); // the standby keeps off the node in use
    expect(node).toBeGreaterThanOrEqual(0);

    await cluster.kill(node, 'SIGKILL');
    try {
      // At the disconnect, not at a later publish or after a reconnect: the standby was up. (Where publishing
      // goes after that is not asserted: a leader election that outlasts the kick time moves it on again.)
      await movedTo(t, standby);
      await publishUntilAcked(gateway, batch('after', 20));
      await expectStoredOnce(config, 40);
    } finally {
      await cluster.restart(node);
      await cluster.healthy();
    }
  }, LEADER_KILL_BUDGET_MS);

  it('moves publishing to its standby connection when the node in use hangs (stopped, its connections open), and stores every id once', async () => {
    const lines: string[] = [];
    const t = new Telemetry(createLogger('info', { write: (line: string) => lines.push(line) }), { defaultMetrics: false });
    const { config, gateway, standby, inUse, node } = await publishingWithStandby(t);
    const pid = cluster.pid(node) as number;
    // No TCP reset, no close: the node neither stores nor answers, as a hung host or a silent partition.
    process.kill(pid, 'SIGSTOP');
    try {
      const sending = publishUntilAcked(gateway, batch('during', 20));
      await movedTo(t, standby);
      await sending;
    } finally {
      process.kill(pid, 'SIGCONT');
      // The next tests start on a settled cluster, not one still electing after the node came back ("JetStream
      // system temporarily unavailable" at their start, in a CI run).
      await cluster.healthy();
    }
    await expectStoredOnce(config, 40);
    const moved = lines.map((l) => JSON.parse(l) as { event?: string; from?: string; why?: string }).find((l) => l.event === 'natsPublishMoved');
    expect(moved?.from).toBe(inUse);
    // 'slow' when its PING went unanswered a second past the batch's PubAck timeout, 'lost' when the client's
    // pings found it stale first (on a loaded machine).
    console.log(`[nats] the node in use stopped: publishing moved to the standby (${moved?.why})`);
  }, LEADER_KILL_BUDGET_MS);

  it('keeps consuming when the consumer leader is killed', async () => {
    const { config, gateway, consumer } = await setup();
    const got = new Map<string, number>();
    consumer.subscribe({ durable: 'store', batchSize: 25, batchWaitMs: 20, maxDeliver: 10 }, async (deliveries: Delivery[]) => {
      for (const d of deliveries) got.set(d.id, (got.get(d.id) ?? 0) + 1);
      await Promise.all(deliveries.map((d) => d.ack().catch(() => {})));
    });
    await publishUntilAcked(gateway, batch('first', 50));
    await waitFor('the first 50', () => got.size === 50);

    const killed = await killLeader(config.stream, 'store');
    try {
      await publishUntilAcked(gateway, batch('second', 50));
      await waitFor('all 100 after the election', () => got.size === 100, { timeoutMs: 90_000 });
      expect(await eventsIn(config.stream, config.subject)).toBe(100);
    } finally {
      await cluster.restart(killed);
      await cluster.healthy();
    }
  }, LEADER_KILL_BUDGET_MS);
});
