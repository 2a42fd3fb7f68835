import { headers } from '@nats-io/transport-node';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { BusUnavailableError, type BusMessage, type Delivery } from '../bus.js';
import { PACK_IDS_HEADER, PACK_SIZES_HEADER, unpack } from '../pack.js';

export interface NatsDeliveryDeps {
  readonly js: JetStreamClient;
  readonly deadLetterSubject: string;
  /** Bound on waiting for the server to confirm an ack or a dead-letter publish. */
  readonly timeoutMs: number;
  onDeadLettered(fields: { id: string; reason: string; deliveries: number }): void;
}

/** A Delivery that also tells the pull loop whether it is settled, and can signal progress while unsettled. */
export interface NatsDelivery extends Delivery {
  readonly settled: boolean;
  /** When the stream stored the message (epoch ms, the server's clock). */
  readonly storedAt: number;
  /** Resets the server's ack wait (AckProgress) while a handler is still working on the message. */
  working(): void;
}

/** Longest header value we write; a reason is a diagnosis, not a payload. */
const MAX_REASON = 1_024;
/** Least time between two progress signals for one NATS message (a pack's parts each ask for one). */
const WORKING_EVERY_MS = 1_000;

/**
 * The deliveries in one JetStream message: one per event of a pack (pack.ts), or the message itself. Each is
 * settled on its own; the NATS message is settled once all of its deliveries are: acked when every one was acked
 * or dead-lettered, nak'd (with the longest delay asked) when any was nak'd, so the whole pack comes back and
 * the sinks, idempotent by event id, store the parts already written once.
 */
export function toDeliveries(m: JsMsg, deps: NatsDeliveryDeps): NatsDelivery[] {
  const parts = messageParts(m);
  const message = new MessageSettlement(m, parts.length, deps.timeoutMs, messageId(m));
  return parts.map((part) => partDelivery(m, part, message, deps));
}

/** What the parts of a stored message are read from: a delivered JsMsg, or a message read back by sequence. */
export type StoredParts = Pick<JsMsg, 'headers' | 'data' | 'seq'>;

/** Messages from other services may lack Nats-Msg-Id; the stream sequence is then the unique id. */
function messageId(m: StoredParts): string {
  return m.headers?.get('Nats-Msg-Id') || `seq-${m.seq}`;
}

/** The events of a JetStream message: the parts of a pack, or the message itself. */
export function messageParts(m: StoredParts): BusMessage[] {
  const id = messageId(m);
  try {
    return unpack(id, m.data, header(m, PACK_IDS_HEADER), header(m, PACK_SIZES_HEADER));
  } catch {
    // Pack headers that disagree with the payload: one message, which the consumer cannot decode and dead-letters.
    return [{ id, data: m.data }];
  }
}

function header(m: StoredParts, name: string): string | undefined {
  return m.headers?.get(name) || undefined;
}

/** The state of one JetStream message across its deliveries. */
class MessageSettlement {
  private open: number;
  private nakDelay: number | undefined;
  private deadLettered = false;
  private lastWorking = 0;

  constructor(
    private readonly m: JsMsg,
    parts: number,
    private readonly timeoutMs: number,
    private readonly id: string,
  ) {
    this.open = parts;
  }

  working(): void {
    const now = performance.now();
    if (this.open === 0 || now - this.lastWorking < WORKING_EVERY_MS) return;
    this.lastWorking = now;
    this.m.working();
  }

  /** One delivery of the message was settled; the last one settles the message. */
  async settle(outcome: 'ack' | 'dead' | { nak: number }): Promise<void> {
    if (outcome === 'dead') this.deadLettered = true;
    else if (outcome !== 'ack') this.nakDelay = Math.max(this.nakDelay ?? 0, outcome.nak);
    if (--this.open > 0) return;
    if (this.nakDelay !== undefined) return this.m.nak(this.nakDelay);
    if (!this.deadLettered) return this.m.ack();
    // Dead letters (rare) keep a confirmed ack (AckAck): the original is known to be settled once republished.
    try {
      await this.m.ackAck({ timeout: this.timeoutMs });
    } catch (err) {
      throw new BusUnavailableError(`ack of ${this.id} was not confirmed; it will be redelivered`, { cause: err });
    }
  }
}

function partDelivery(m: JsMsg, part: BusMessage, message: MessageSettlement, deps: NatsDeliveryDeps): NatsDelivery {
  const { id, data } = part;
  const deliveries = m.info.deliveryCount;
  let settled = false;
  const claim = () => {
    if (settled) return false;
    settled = true;
    return true;
  };
  return {
    id,
    data,
    subject: m.subject,
    deliveries,
    storedAt: m.info.timestampNanos / 1e6,
    get settled() {
      return settled;
    },
    working: () => {
      if (!settled) message.working();
    },
    // A plain ack, not a confirmed one (AckAck): waiting for the server's reply cost a request round trip per
    // message (a large share of the consumer's CPU, bench/RESULTS.md). An ack that is lost only brings the message
    // back after the ack wait, and the sinks are idempotent by id, so nothing is doubled. The connection's drain
    // at close flushes acks still in the client's buffer.
    ack: async () => {
      if (claim()) await message.settle('ack');
    },
    nak: (delayMs) => {
      if (claim()) void message.settle({ nak: Math.max(0, Math.round(delayMs)) });
    },
    deadLetter: async (reason) => {
      if (!claim()) return;
      const h = headers();
      h.set('Gatehouse-Reason', headerValue(reason));
      h.set('Gatehouse-Deliveries', String(deliveries));
      h.set('Gatehouse-Subject', m.subject);
      try {
        // msgID sets Nats-Msg-Id: a dead letter republished after a crash is deduplicated like an event.
        await deps.js.publish(deps.deadLetterSubject, data, { msgID: `dl-${id}`, headers: h, timeout: deps.timeoutMs });
      } catch (err) {
        // Not settled: the message comes back and the consumer decides again.
        settled = false;
        throw new BusUnavailableError(`dead-lettering ${id} failed; it will be redelivered`, { cause: err });
      }
      deps.onDeadLettered({ id, reason, deliveries });
      await message.settle('dead');
    },
  };
}

/** Header values are one line of printable text. */
function headerValue(text: string): string {
  const line = text.replace(/[\r\n\t]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim();
  return (line || 'unspecified').slice(0, MAX_REASON);
}
