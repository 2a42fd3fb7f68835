import type { Health } from '../lifecycle/health.js';

/** One message on the bus. `id` is the dedupe key (JetStream `Nats-Msg-Id`); for events it is the event id. */
export interface BusMessage {
  readonly id: string;
  readonly data: Uint8Array;
  /**
   * The last message of a run a bus may carry as one message (the NATS bus packs, see pack.ts): the spool sets
   * it where a group commit ends, so a re-read packs the same way. Buses that do not pack ignore it.
   */
  readonly packEnd?: boolean;
}

/** A message handed to a consumer. Exactly one of ack / nak / deadLetter must be called. */
export interface Delivery extends BusMessage {
  readonly subject: string;
  /** 1 on first delivery. */
  readonly deliveries: number;
  /** When the bus stored the message (epoch ms), the same on every delivery; buses that do not keep it leave it out. */
  readonly storedAt?: number;
  ack(): Promise<void>;
  /** Redeliver later. */
  nak(delayMs: number): void;
  /** Give up on this message: publish it to the dead-letter subject with the reason, then ack it. */
  deadLetter(reason: string): Promise<void>;
}

export interface SubscribeOptions {
  /** Durable consumer name; processes with the same name share the work. */
  readonly durable: string;
  /** Subject filter (default: the event subjects). */
  readonly subject?: string;
  readonly batchSize: number;
  /** Longest wait to fill a batch. */
  readonly batchWaitMs: number;
  /** Deliveries before a message is dead-lettered by the consumer. */
  readonly maxDeliver: number;
  /** How long a delivery may stay unacked before the bus delivers it again (default: the bus's, 30 s). */
  readonly ackWaitMs?: number;
}

export type BatchHandler = (batch: Delivery[]) => Promise<void>;

/** How far a durable consumer is behind the stream. */
export interface ConsumerLag {
  /** Messages in the stream not yet delivered to the consumer. */
  readonly pending: number;
  /** Messages delivered but not yet acked (being handled, or waiting for a redelivery). */
  readonly ackPending: number;
}

export interface Subscription {
  /** Stops pulling, waits for the batch in hand, then releases. */
  close(): Promise<void>;
}

/** What a bus can do, for callers to ask instead of inferring it from the bus's kind. */
export interface BusCapabilities {
  /**
   * A separate service that can be down while the gateway runs (NATS): the gateway starts it in the background
   * and serves from its spool meanwhile, instead of failing to start.
   */
  readonly remote: boolean;
  /** Carries messages other producers publish on subjects of their own (the upstream tracker's service messages). */
  readonly foreignSubjects: boolean;
}

/** An in-process bus: always there, carrying only what this process publishes. */
export const IN_PROCESS: BusCapabilities = { remote: false, foreignSubjects: false };

export interface PublishOptions {
  /**
   * The messages may already be on the bus, after this sequence (see `sequence`): published by an earlier
   * process that stopped before its checkpoint recorded them. The bus stores none of them a second time,
   * whatever its duplicate window. Buses that do not number messages ignore it.
   */
  readonly storedAfter?: number;
}

/**
 * The seam between the gateway and delivery (nats | memory).
 * `publish` resolves only once the bus holds every message durably (JetStream PubAck; for the in-process
 * bus, once a consumer acked it), and rejects otherwise: the spool keeps what is not acknowledged.
 */
export interface Bus {
  /** For logs and labels; behaviour follows `capabilities`. */
  readonly kind: 'memory' | 'nats';
  readonly capabilities: BusCapabilities;
  start(): Promise<void>;
  publish(messages: readonly BusMessage[], options?: PublishOptions): Promise<void>;
  /**
   * Buses that number their messages (NATS: the stream sequence): a sequence every message published from now on
   * will be stored after; undefined while a publish cannot be sent (not connected). The spool saves it with its
   * checkpoint and gives it back as `storedAfter` after a crash.
   */
  sequence?(): number | undefined;
  subscribe(options: SubscribeOptions, handler: BatchHandler): Subscription;
  healthcheck(): Promise<Health>;
  /** The lag of a durable consumer, where the bus keeps one server-side (NATS); rejects when it cannot be read. */
  lag?(durable: string): Promise<ConsumerLag>;
  close(): Promise<void>;
}

export class BusUnavailableError extends Error {
  readonly code = 'BUS_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BusUnavailableError';
  }
}
