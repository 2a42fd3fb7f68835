import { headers } from '@nats-io/transport-node';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { BusUnavailableError, type Delivery } from '../bus.js';

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
  /** Resets the server's ack wait (AckProgress) while a handler is still working on the message. */
  working(): void;
}

/** Longest header value we write; a reason is a diagnosis, not a payload. */
const MAX_REASON = 1_024;

export function toDelivery(m: JsMsg, deps: NatsDeliveryDeps): NatsDelivery {
  // Messages from other services may lack Nats-Msg-Id; the stream sequence is then the unique id.
  const id = m.headers?.get('Nats-Msg-Id') || `seq-${m.seq}`;
  const deliveries = m.info.deliveryCount;
  let settled = false;
  const claim = () => {
    if (settled) return false;
    settled = true;
    return true;
  };
  // Dead letters (rare) keep a confirmed ack (AckAck): the original is known to be settled once republished.
  const confirmAck = async () => {
    try {
      await m.ackAck({ timeout: deps.timeoutMs });
    } catch (err) {
      throw new BusUnavailableError(`ack of ${id} was not confirmed; it will be redelivered`, { cause: err });
    }
  };
  return {
    id,
    data: m.data,
    subject: m.subject,
    deliveries,
    get settled() {
      return settled;
    },
    working: () => {
      if (!settled) m.working();
    },
    // A plain ack, not a confirmed one (AckAck): waiting for the server's reply cost a request round trip per
    // message (a large share of the consumer's CPU, bench/RESULTS.md). An ack that is lost only brings the message
    // back after the ack wait, and the sinks are idempotent by id, so nothing is doubled. The connection's drain
    // at close flushes acks still in the client's buffer.
    ack: async () => {
      if (claim()) m.ack();
    },
    nak: (delayMs) => {
      if (claim()) m.nak(Math.max(0, Math.round(delayMs)));
    },
    deadLetter: async (reason) => {
      if (!claim()) return;
      const h = headers();
      h.set('Gatehouse-Reason', headerValue(reason));
      h.set('Gatehouse-Deliveries', String(deliveries));
      h.set('Gatehouse-Subject', m.subject);
      try {
        // msgID sets Nats-Msg-Id: a dead letter republished after a crash is deduplicated like an event.
        await deps.js.publish(deps.deadLetterSubject, m.data, { msgID: `dl-${id}`, headers: h, timeout: deps.timeoutMs });
      } catch (err) {
        // Not acked: the original comes back and the consumer decides again.
        settled = false;
        throw new BusUnavailableError(`dead-lettering ${id} failed; it will be redelivered`, { cause: err });
      }
      deps.onDeadLettered({ id, reason, deliveries });
      await confirmAck();
    },
  };
}

/** Header values are one line of printable text. */
function headerValue(text: string): string {
  const line = text.replace(/[\r\n\t]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim();
  return (line || 'unspecified').slice(0, MAX_REASON);
}
