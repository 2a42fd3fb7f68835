import { nanos } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  ReplayPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { ConsumerLag, SubscribeOptions } from '../bus.js';

/**
 * How long the server waits for an ack before redelivering, unless the subscriber sets `ackWaitMs`
 * (`consumer.ackWait`). The pull loop signals progress while a handler runs, so a slow sink write does not
 * trigger redeliveries; this only bounds how long a crashed consumer's messages, or deliveries and acks lost
 * with a connection or a node, stay invisible.
 */
export const ACK_WAIT_MS = 30_000;

export const ackWaitOf = (options: SubscribeOptions): number => options.ackWaitMs ?? ACK_WAIT_MS;

export function consumerConfig(options: SubscribeOptions, defaultSubject: string): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    filter_subject: options.subject ?? defaultSubject,
    // The consumer, not the server, decides when to give up (from `deliveries`), and dead-letters with a reason.
    max_deliver: -1,
    ack_wait: nanos(ackWaitOf(options)),
    // Room for an in-hand and a prefetched batch in each of several processes sharing the durable.
    max_ack_pending: Math.max(1_000, options.batchSize * 8),
  };
}

/** Creates the durable pull consumer, or brings an existing one's tunable settings in line. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  options: SubscribeOptions,
  defaultSubject: string,
): Promise<ConsumerInfo> {
  const wanted = consumerConfig(options, defaultSubject);
  const existing = await consumerInfo(jsm, stream, wanted.durable_name);
  if (!existing) return jsm.consumers.add(stream, wanted);
  const have = existing.config;
  const same =
    have.filter_subject === wanted.filter_subject &&
    have.ack_wait === wanted.ack_wait &&
    have.max_deliver === wanted.max_deliver &&
    have.max_ack_pending === wanted.max_ack_pending;
  if (same) return existing;
  return jsm.consumers.update(stream, wanted.durable_name, {
    filter_subject: wanted.filter_subject,
    ack_wait: wanted.ack_wait,
    max_deliver: wanted.max_deliver,
    max_ack_pending: wanted.max_ack_pending,
  });
}

async function consumerInfo(jsm: JetStreamManager, stream: string, durable: string): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
    throw err;
  }
}

/** A durable consumer's lag, from its info (`num_pending`, `num_ack_pending`). */
export async function consumerLag(jsm: JetStreamManager, stream: string, durable: string): Promise<ConsumerLag> {
  const info = await jsm.consumers.info(stream, durable);
  return { pending: info.num_pending, ackPending: info.num_ack_pending };
}
