import { Type, type StaticDecode } from '@sinclair/typebox';
import type { SubscribeOptions } from '../bus/bus.js';
import { Section, Duration, Host, Port } from '../config/types.js';

export const ConsumerConfig = Section(
  {
    durable: Type.String({ default: 'gatehouse-store', pattern: '^[A-Za-z0-9_-]+$', description: 'Durable consumer name; consumers with the same name share the work.' }),
    sinks: Type.Array(Type.Union([Type.Literal('duckdb'), Type.Literal('cassandra')]), {
      default: ['duckdb'],
      minItems: 1,
      description: 'Sinks every batch is written to; a message is acked only after all have it.',
    }),
    batchSize: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 2000,
      description:
        'Most events in one batch. Each batch is one sink transaction: larger batches spread its fixed cost (DuckDB: ~5 ms a commit) when the consumer is behind; batchWait bounds the wait when it is not.',
    }),
    batchWait: Duration('100ms', {
      description:
        'Longest an event waits for its batch to fill, counted from when the bus stored it: events that queued up while the previous batch was being written go out at once.',
    }),
    maxDeliver: Type.Integer({
      minimum: 1,
      default: 10,
      description: 'Deliveries before a message that keeps failing goes to the dead-letter subject.',
    }),
    retryBackoff: Duration('1s', { description: 'First delay before a failed batch is redelivered (doubles, up to 1m).' }),
    ackWait: Duration('30s', {
      description:
        "How long the bus waits for a delivered message's ack before it delivers the message again: what a consumer that was killed, or whose connection or node was lost, held comes back after this long. A batch being written signals progress every third of it, so a slow write is not redelivered. At least 1s.",
    }),
    metrics: Section(
      {
        enabled: Type.Boolean({ default: true, description: 'Serve /metrics, /healthz and /readyz of `gatehouse consume`.' }),
        host: Host('127.0.0.1', { description: 'Address of the consumer metrics listener.' }),
        port: Port(9101, { description: 'Port of the consumer metrics listener (the gateway admin listener uses 9100).' }),
      },
      { description: 'The metrics listener of the consumer process (the gateway has its admin listener).' },
    ),
    serviceSubjects: Section(
      {
        enabled: Type.Boolean({ default: false, description: 'Also store log, counter and update messages from other services.' }),
        logs: Type.String({ default: 'tic.log.>', description: 'Subject of log messages.' }),
        counts: Type.String({ default: 'tic.count.>', description: 'Subject of counter increments.' }),
        updates: Type.String({ default: 'tic.update.>', description: 'Subject of update records.' }),
      },
      { description: 'Messages from other services (see docs/delivery.md, "Service messages").' },
    ),
  },
  { description: 'The consumer: bus → sinks, acked only after the write.' },
);

export type ConsumerConfig = StaticDecode<typeof ConsumerConfig>;

/** The bus subscription of a consumer's durable named `durable` (its events, or a service subject's). */
export function subscribeOptions(config: ConsumerConfig, durable = config.durable, subject?: string): SubscribeOptions {
  return { durable, ...(subject ? { subject } : {}), batchSize: config.batchSize, batchWaitMs: config.batchWait, maxDeliver: config.maxDeliver, ackWaitMs: config.ackWait };
}
