import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { down, up, type Health } from '../../lifecycle/health.js';
import {
  BusUnavailableError,
  type BatchHandler,
  type Bus,
  type BusMessage,
  type ConsumerLag,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
} from '../bus.js';
import type { NatsConfig } from '../config.js';
import { natsEvents } from '../events.js';
import { connectionOptions } from './connection-options.js';
import { kickConnection } from './connection-kick.js';
import { watchConnection } from './connection-status.js';
import { unlessAborted } from '../abortable.js';
import { consumerLag } from './consumer.js';
import { NatsConnectError, StreamConfigError } from './errors.js';
import { PublishHealth } from './publish-health.js';
import { JetStreamPublisher, PublishError, PublishMemory, SLOW_PING_MS } from './publisher.js';
import { startPullLoop } from './pull-loop.js';
import { ensureStream } from './stream.js';
import { idsAfter, storedIds, type TailRead } from './stream-scan.js';

export interface NatsBusOptions {
  readonly config: NatsConfig;
  readonly telemetry: Telemetry;
}

/** Bound on one JetStream API call or PubAck; a caller (the spool's forwarder) retries what timed out. */
const REQUEST_TIMEOUT_MS = 5_000;
/**
 * Bound on one read of the stream's tail after a restart's floor (its length is what the stream took in between
 * shortly before the last process stopped and this one's first publish); a longer tail is read on at the next try.
 */
const TAIL_SCAN_TIMEOUT_MS = 60_000;
/** Bound on draining the connection at close before it is closed outright. */
const DRAIN_TIMEOUT_MS = 10_000;
/** Least bound on one batch's PubAcks; the bound follows the measured ack latency up to REQUEST_TIMEOUT_MS. */
const MIN_PUBACK_TIMEOUT_MS = 2_000;
/** A batch waiting this long for its PubAcks makes the gateway not ready, before its timeout ends it. */
const PUBACK_STALE_MS = 3_000;
/**
 * Publishes failing this long on a connection the client still holds up (the node is cut off from the stream's
 * leader, or answers nothing): the connection is dropped so the client moves to another node. Not sooner, so a
 * lossy link keeps its connection through TCP's retransmissions; and not while PubAcks, even for part of a batch,
 * still arrive on it or within this long of its (re)connect: a new connection over a lossy link needs seconds to
 * get its first acks through, and dropping it costs another dial. At most once per this interval.
 */
const KICK_AFTER_MS = 6_000;

/** Least time between two tries to open the standby connection after one failed. */
const STANDBY_RETRY_MS = 5_000;

interface Connected {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly js: JetStreamClient;
  readonly status: ReturnType<typeof watchConnection>;
  readonly publisher: JetStreamPublisher;
}

/**
 * The bus over NATS JetStream. The constructor only reads the config (a wrong file path fails here);
 * `start()` connects and creates or checks the stream.
 *
 * A process that publishes (the gateway) also opens a standby connection (`bus.nats.standby`), to another node
 * where there is one, at its first publish. Publishing moves to it at once when the connection in use is lost
 * (a partition, pings unanswered, publishes failing on it), while the lost one reconnects in the background: a
 * failover needs no dial, which across a lossy link takes seconds and may time out (a dial waits for the
 * server's first message). Both connections' publishers share what they know of the packs sent
 * (publisher.ts, PublishMemory), so a re-publish on the other connection is stored once.
 */
export function createNatsBus({ config, telemetry }: NatsBusOptions): Bus {
  const events = natsEvents(telemetry);
  // Each connection keeps off the node the other is on, while there is another.
  const options = connectionOptions(config, () => (standby?.status.connected ? standby.nc.getServer() : undefined));
  const standbyOptions = connectionOptions(config, () => (conn?.status.connected ? conn.nc.getServer() : undefined));
  const subscriptions = new Set<Subscription>();
  const inflight = new Set<Promise<void>>();
  const memory = new PublishMemory();
  /** The first connection: it checked the stream; subscriptions, lag and the stream reads go through it. */
  let conn: Connected | undefined;
  /** The standby connection, publishing only; undefined until the first publish, or when disabled. */
  let standby: Connected | undefined;
  let standbyOpening: Promise<void> | undefined;
  let standbyFailedAt = 0;
  /** The connection publishes go out on, and since when. */
  let publishing: Connected | undefined;
  let publishingSince = 0;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const health = new PublishHealth({ minTimeoutMs: MIN_PUBACK_TIMEOUT_MS, maxTimeoutMs: REQUEST_TIMEOUT_MS, staleMs: PUBACK_STALE_MS });
  let lastKick = 0;

  /** Publishes keep failing on a connection that looks up: move to another node (see KICK_AFTER_MS). */
  function kickIfStuck(c: Connected): void {
    const now = Date.now();
    if (!c.status.connected || health.failingForMs(now) < KICK_AFTER_MS || now - lastKick < KICK_AFTER_MS) return;
    // Some acks still arrive (a lossy link), or the connection is new: it works, slowly; dropping it would only lose more.
    if (now - Math.max(health.lastAckAt, c.status.since, publishingSince) < KICK_AFTER_MS) return;
    lastKick = now;
    events.natsKicked({}, { server: c.nc.getServer(), why: health.problem(now) });
    kickConnection(c.nc);
  }

  async function connectAndCheck(): Promise<void> {
    let nc: NatsConnection;
    try {
      nc = await connect(options);
    } catch (err) {
      const why = explain(err);
      throw new NatsConnectError(`cannot connect to NATS at ${config.servers.join(', ')}: ${why}${hint(why, config)}`, { cause: err });
    }
    try {
      const jsm = await jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS });
      const info = await ensureStream(jsm, config, events);
      conn = link(nc, jsm, info.state.last_seq);
    } catch (err) {
      await nc.close().catch(() => {});
      if (err instanceof StreamConfigError) throw err;
      throw new NatsConnectError(`NATS at ${config.servers.join(', ')}: JetStream is not usable: ${explain(err)}`, { cause: err });
    }
  }

  /** A connection's publisher and status watch. */
  function link(nc: NatsConnection, jsm: JetStreamManager, lastSeq: number): Connected {
    const js = jsm.jetstream();
    const target = { stream: config.stream, subject: config.subject, duplicateWindowMs: config.duplicateWindow };
    const lookup = (floor: number, ids: readonly string[]) => storedIds(jsm, js, target, floor, ids, REQUEST_TIMEOUT_MS);
    const tail = (read: TailRead) => idsAfter(jsm, js, target, read, TAIL_SCAN_TIMEOUT_MS);
    const publisher = new JetStreamPublisher(nc, target, health, memory, lookup, tail, lastSeq);
    // The gauge says whether either connection is up (this one's state is already updated when it is called).
    const mirror = (up: boolean) => events.natsConnectionUp.set(up || conn?.status.connected || standby?.status.connected ? 1 : 0);
    // The watch reports a loss only later (from the client's status stream), by when `self` is set.
    const lost = (why: string) => {
      publisher.abandon(why);
      moveFrom(self);
    };
    const self: Connected = { nc, jsm, js, status: watchConnection(nc, events, lost, mirror), publisher };
    publisher.onSlow = () => hedge(self);
    return self;
  }

  /**
   * Publishing on `c` is slow: a batch is past its timeout and `c`'s server has not answered a PING since. If the
   * other connection answers one within SLOW_PING_MS while `c` still has not, publishing moves there and `c`'s
   * waiting batches end (the forwarder re-publishes them on the other connection; the shared ledger and the
   * stream's duplicate window store each pack once). `c` stays open as the standby: a lossy link stalls one TCP
   * connection for seconds at a time (retransmission backoff), seldom both at once. Without this, publishing
   * waited for `c` to be found stale, 4-6 s after its last answered ping.
   */
  function hedge(c: Connected): void {
    if (closing || publishLink() !== c) return;
    const other = upOther(c);
    if (!other) return;
    const answered = other.nc.flush().then(() => true, () => false);
    void unlessAborted(answered, AbortSignal.timeout(SLOW_PING_MS)).then((ok) => {
      if (ok !== true || closing || current() !== c || !c.publisher.waiting || !other.status.connected) return;
      moveTo(other, c, 'slow');
      c.publisher.abandon(`moved to ${other.nc.getServer()}: ${c.nc.getServer()} answered no PING for ${SLOW_PING_MS} ms after a PubAck timeout`);
    });
  }

  /** `c` was lost: if publishes go out on it, they move to the other connection now, if that one is up. */
  function moveFrom(c: Connected): void {
    if (closing || current() !== c) return;
    const other = upOther(c);
    if (other) moveTo(other, c, 'lost');
  }

  /** The connection publishes go out on (the first one until publishing moved). */
  function current(): Connected | undefined {
    return publishing ?? conn;
  }

  /** The bus's other connection than `c`, if it is up. */
  function upOther(c: Connected): Connected | undefined {
    const other = c === conn ? standby : conn;
    return other?.status.connected && !other.nc.isClosed() ? other : undefined;
  }

  function moveTo(to: Connected, from: Connected, why: 'lost' | 'slow'): void {
    events.natsPublishMoved({ server: to.nc.getServer() }, { from: from.nc.getServer(), why });
    if (publishing === to) return;
    publishing = to;
    publishingSince = Date.now();
  }

  /** Opens the standby connection in the background; a failure is retried at a later publish. */
  function openStandby(): void {
    if (!config.standby || standby || standbyOpening || closing || Date.now() - standbyFailedAt < STANDBY_RETRY_MS) return;
    standbyOpening = (async () => {
      const nc = await connect(standbyOptions);
      try {
        const jsm = await jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS });
        if (closing) throw new BusUnavailableError('the NATS bus is closed');
        standby = link(nc, jsm, 0);
      } catch (err) {
        await nc.close().catch(() => {});
        throw err;
      }
      events.natsStandby({ server: nc.getServer() });
    })()
      .catch((err: unknown) => {
        standbyFailedAt = Date.now();
        if (!closing) events.natsError({}, { error: `standby connection: ${explain(err)}` });
      })
      .finally(() => {
        standbyOpening = undefined;
      });
  }

  /** The connection to publish on: the one in use, or the other one if it was lost before the other was up. */
  function publishLink(): Connected {
    const first = ready(); // throws when closed or not started
    const c = publishing ?? first;
    if (!c.status.connected) moveFrom(c);
    return publishing ?? c;
  }

  async function start(): Promise<void> {
    if (closing) throw new BusUnavailableError('the NATS bus is closed');
    starting ??= connectAndCheck();
    try {
      await starting;
    } catch (err) {
      starting = undefined; // a later start() may try again
      throw err;
    }
  }

  function ready(): Connected {
    if (closing) throw new BusUnavailableError('the NATS bus is closed');
    if (!conn) throw new BusUnavailableError('the NATS bus is not started');
    return conn;
  }

  async function publish(messages: readonly BusMessage[], options?: PublishOptions): Promise<void> {
    const c = publishLink();
    openStandby();
    if (!c.status.connected) {
      health.failed('disconnected from NATS (reconnecting)');
      events.publishFailed({ bus: 'nats' }, { error: 'disconnected' }, messages.length);
      throw new BusUnavailableError('disconnected from NATS (reconnecting)');
    }
    const end = events.publishSeconds.startTimer({ bus: 'nats' });
    const attempt = c.publisher.publishAll(messages, options?.storedAfter);
    inflight.add(attempt);
    try {
      await attempt;
      end();
    } catch (err) {
      const failed = err instanceof PublishError ? err.failed : messages.length;
      kickIfStuck(c);
      events.publishFailed({ bus: 'nats' }, { error: err instanceof Error ? err.message : String(err) }, failed);
      throw err;
    } finally {
      inflight.delete(attempt);
    }
  }

  /** Undefined exactly when publish() fails before sending (the spool records no floor for it). */
  function sequence(): number | undefined {
    if (closing || !conn) return undefined;
    if (!conn.status.connected && !standby?.status.connected) return undefined;
    return memory.ledger.floor;
  }

  function subscribe(subscribeOptions: SubscribeOptions, handler: BatchHandler): Subscription {
    const c = ready();
    const loop = startPullLoop(
      {
        nc: c.nc,
        js: c.js,
        jsm: c.jsm,
        stream: config.stream,
        defaultSubject: config.subject,
        events,
        delivery: {
          js: c.js,
          deadLetterSubject: config.deadLetterSubject,
          timeoutMs: REQUEST_TIMEOUT_MS,
          onDeadLettered: (fields) => events.messageDeadLettered({ bus: 'nats' }, fields),
        },
      },
      subscribeOptions,
      handler,
    );
    const subscription: Subscription = {
      close: async () => {
        subscriptions.delete(subscription);
        await loop.close();
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  async function healthcheck(): Promise<Health> {
    if (closing) return down('the NATS bus is closed');
    if (!conn) return down('the NATS bus is not started');
    if (conn.nc.isClosed()) return down('the NATS connection is closed');
    // The connection publishes would go out on (publishLink's choice, without making it).
    const c = [publishing, conn, standby].find((l) => l?.status.connected);
    if (!c) return down(`disconnected from NATS, reconnecting to ${config.servers.join(', ')}`);
    // From state only: a request here would wait out its timeout during a partition, and a probe must answer
    // in milliseconds. Ready means this gateway's events are reaching the stream (publish-health.ts).
    const problem = health.problem();
    if (problem !== undefined) return down(`stream ${config.stream}: ${problem}`);
    const last = health.lastAckAt;
    const acked = last === 0 ? 'nothing published yet' : `last PubAck ${Date.now() - last} ms ago`;
    return up(`${c.nc.getServer()}; stream ${config.stream}: ${acked}`);
  }

  async function lag(durable: string): Promise<ConsumerLag> {
    return consumerLag(ready().jsm, config.stream, durable);
  }

  /** Ordered shutdown: stop fetching, let in-hand batches and pending publishes finish, drain the connection. */
  async function shutdown(): Promise<void> {
    await Promise.all([...subscriptions].map((s) => s.close()));
    await Promise.allSettled([...inflight]);
    await starting?.catch(() => {});
    // A standby still opening closes itself when it finds the bus closing.
    const spare = standby;
    standby = undefined;
    if (spare && !spare.nc.isClosed()) await spare.nc.close().catch(() => {});
    await spare?.status.done;
    const c = conn;
    conn = undefined;
    if (!c) return;
    if (c.status.connected) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)));
      await Promise.race([c.nc.drain().catch(() => {}), timeout]);
      clearTimeout(timer);
    }
    if (!c.nc.isClosed()) await c.nc.close().catch(() => {});
    await c.status.done;
    events.natsConnectionUp.set(0);
  }

  return {
    kind: 'nats',
    capabilities: { remote: true, foreignSubjects: true },
    start,
    publish,
    sequence,
    subscribe,
    healthcheck,
    lag,
    close: () => (closing ??= shutdown()),
  };
}

/** Where to look, for the failures an operator can fix in the config. */
function hint(why: string, config: NatsConfig): string {
  if (/certificate|self.signed/i.test(why)) return ' (bus.nats.tls.ca must be the CA that signed the server certificate)';
  if (/authorization|authentication/i.test(why)) return ' (check the credentials: bus.nats user/pass, token, creds or nkey)';
  const usesTls = Boolean(config.tls.ca) || config.servers.some((s) => s.startsWith('tls://'));
  if (/timeout/i.test(why) && usesTls && !config.tls.cert) {
    return ' (if the servers verify clients, set bus.nats.tls.cert and bus.nats.tls.key)';
  }
  return '';
}

/** The client's message with its causes (a TLS failure is the cause of a connection error). */
function explain(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  while (current instanceof Error && parts.length < 4) {
    if (!parts.includes(current.message)) parts.push(current.message);
    current = current.cause;
  }
  return parts.length > 0 ? parts.join(': ') : String(err);
}
