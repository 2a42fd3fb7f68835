import type { ConsumerMessages, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BatchHandler, SubscribeOptions, Subscription } from '../bus.js';
import type { BusEvents } from '../events.js';
import { deadline, pause } from '../abortable.js';
import { BatchReader } from './batch-reader.js';
import { ackWaitOf, ensureConsumer } from './consumer.js';
import { backoffDelay } from '../../lifecycle/backoff.js';
import { toDeliveries, type NatsDelivery, type NatsDeliveryDeps } from './delivery.js';

export interface PullLoopDeps {
  /** The connection; a reconnect restarts the consume (see restartOnReconnect). */
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly defaultSubject: string;
  readonly delivery: NatsDeliveryDeps;
  readonly events: BusEvents;
}

/**
 * Lifetime of one pull request. The server sends a heartbeat every half of it, and the client re-pulls after two
 * missed ones, so a pull lost with its consumer leader (election, crash) is re-issued within about this long
 * after the new leader is elected. After the leader's node was killed in the cluster test, consumption resumed
 * in 8-20 s with 5 s pulls and in 8-11 s with 2 s pulls, most of it JetStream electing the new leader. An idle
 * consumer pulls once per lifetime: one small request every 2 s.
 */
const PULL_EXPIRES_MS = 2_000;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 15_000;
/**
 * Most messages a consumer holds prefetched (the client asks for more when three quarters are handed over). A
 * message may be a pack of up to PACK_MAX_BYTES (pack.ts), so this bounds the buffer at ~40 MB of packs; a
 * byte limit instead would cap the prefetch at 100 messages (the client's rule), starving the batches when
 * messages are single events.
 */
const PREFETCH_MESSAGES = 512;
/** On close, how long to wait for prefetched messages to be handed back before leaving them to the ack wait. */
const HAND_BACK_MS = 2_000;

/**
 * A durable pull consumer's loop: batches of up to batchSize, gathered until the oldest message has waited
 * batchWaitMs, handed to `handler` one at a time. Outages and leader elections end the current consume; the
 * loop then retries with backoff (never a busy loop), recreating the consumer if it vanished.
 */
export function startPullLoop(deps: PullLoopDeps, options: SubscribeOptions, handler: BatchHandler): Subscription {
  const stop = new AbortController();
  const done = run(deps, options, handler, stop.signal);
  return {
    close: async () => {
      stop.abort();
      await done;
    },
  };
}

async function run(deps: PullLoopDeps, options: SubscribeOptions, handler: BatchHandler, stop: AbortSignal): Promise<void> {
  let failures = 0;
  while (!stop.aborted) {
    let messages: ConsumerMessages | undefined;
    try {
      await ensureConsumer(deps.jsm, deps.stream, options, deps.defaultSubject);
      const consumer = await deps.js.consumers.get(deps.stream, options.durable);
      messages = await consumer.consume({ max_messages: Math.min(options.batchSize, PREFETCH_MESSAGES), expires: PULL_EXPIRES_MS });
      watchNotifications(messages);
      restartOnReconnect(deps.nc, messages);
      const reader = new BatchReader<NatsDelivery>(deliveriesOf(messages, deps.delivery), storedAgoMs);
      while (!stop.aborted) {
        const batch = await reader.read(options.batchSize, options.batchWaitMs, stop);
        if (batch.length > 0) {
          failures = 0;
          await handleBatch(deps, options, handler, batch);
        }
        if (reader.ended && !stop.aborted) throw new Error('the consumer stopped delivering');
      }
      await handBack(messages, reader);
    } catch (err) {
      messages?.stop();
      if (stop.aborted) return;
      // A reconnect is no failure: pull anew at once (the connection's own events log it).
      if (err instanceof PullAnew) continue;
      failures += 1;
      deps.events.consumerFailed(
        { bus: 'nats', durable: options.durable },
        { error: err instanceof Error ? err.message : String(err), attempt: failures },
      );
      await pause(backoffMs(failures), stop);
    }
  }
}

/** Each message's deliveries (one per event of a pack), a message at a time, in stream order. */
function deliveriesOf(messages: ConsumerMessages, deps: NatsDeliveryDeps): AsyncIterator<NatsDelivery[]> {
  const iterator = messages[Symbol.asyncIterator]();
  return {
    next: async () => {
      const r = await iterator.next();
      return r.done ? { done: true, value: undefined } : { done: false, value: toDeliveries(r.value, deps) };
    },
  };
}

/**
 * How long ago the stream stored the message (its timestamp is the server's clock: skew only shortens or
 * lengthens the batch window, which BatchReader clamps to [0, batchWait]).
 */
function storedAgoMs(d: NatsDelivery): number {
  return Date.now() - d.storedAt;
}

/**
 * The client keeps looking for a consumer that disappeared (stream recreated, consumer deleted); ending the
 * consume instead lets the loop recreate it.
 */
function watchNotifications(messages: ConsumerMessages): void {
  void (async () => {
    for await (const n of messages.status()) {
      if (n.type === 'consumer_not_found' || n.type === 'consumer_deleted' || n.type === 'stream_not_found') {
        messages.stop(new Error(`${n.type.replaceAll('_', ' ')}`));
        return;
      }
    }
  })().catch(() => {});
}

/**
 * Ends the consume when the client reconnects (to another node after a partition), so the loop pulls anew at
 * once. The client's own recovery re-pulls after a reconnect only when no reset is under way; one started when
 * heartbeats went missing across the partition waits out a consumer-info request sent on the dead connection
 * (its 5 s timeout, then a backoff), and consumption resumed only 4-5 s after the reconnect.
 */
function restartOnReconnect(nc: NatsConnection, messages: ConsumerMessages): void {
  const statuses = nc.status();
  // The client's status iterator has stop() (typed only as AsyncIterable): it removes the listener at once, where
  // return() on a pending iteration would wait for the next status.
  const done = () => (statuses as { stop?: () => void }).stop?.();
  void (async () => {
    for await (const s of statuses) {
      if (s.type === 'reconnect') {
        messages.stop(new PullAnew(`reconnected to ${s.server}: pulling anew`));
        break;
      }
    }
  })().catch(() => {});
  void messages.closed().finally(done);
}

/** Ends a consume so the loop pulls again at once, without counting a failure or backing off. */
class PullAnew extends Error {}

async function handleBatch(deps: PullLoopDeps, options: SubscribeOptions, handler: BatchHandler, deliveries: NatsDelivery[]): Promise<void> {
  // A slow write (a sink retrying) must not make the server redeliver messages that are still being handled.
  const progress = setInterval(() => deliveries.forEach((d) => d.working()), ackWaitOf(options) / 3);
  try {
    await handler(deliveries);
  } catch (err) {
    // What the handler left unsettled comes back after the ack wait, like after a crash.
    deps.events.handlerFailed({ bus: 'nats' }, { durable: options.durable, error: err instanceof Error ? err.message : String(err) });
  } finally {
    clearInterval(progress);
  }
}

/** Stops pulling and naks what was prefetched but not handled, so another process gets it without delay. */
async function handBack(messages: ConsumerMessages, reader: BatchReader<NatsDelivery>): Promise<void> {
  // stop() rather than close(): close() waits for the iterator to finish, and only reading it finishes it.
  messages.stop();
  const limit = deadline(HAND_BACK_MS, new AbortController().signal);
  try {
    for (const d of await reader.rest(limit.signal)) d.nak(0);
  } catch {
    // Left to the ack wait.
  } finally {
    limit.dispose();
  }
}

function backoffMs(failures: number): number {
  return backoffDelay({ minMs: BACKOFF_FIRST_MS, maxMs: BACKOFF_MAX_MS, jitter: 0.2 }, failures - 1);
}
