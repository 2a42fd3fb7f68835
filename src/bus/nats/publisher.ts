import { createInbox, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { BusUnavailableError, type BusMessage } from '../bus.js';
import { PACK_IDS_HEADER, PACK_MAX_BYTES, PACK_MAX_MESSAGES, PACK_SIZES_HEADER, pack, type Pack } from '../pack.js';

export interface PublishTarget {
  readonly stream: string;
  readonly subject: string;
  readonly timeoutMs: number;
}

interface Batch {
  readonly first: number;
  /** Messages (events) in each pack, by pack. */
  readonly counts: number[];
  readonly messages: number;
  /** Packs still waiting for their PubAck (their index in `counts`, from the reply's sequence number). */
  readonly waiting: Set<number>;
  failed: number;
  firstError: string | undefined;
  timer: NodeJS.Timeout | undefined;
  settle: () => void;
}

/**
 * JetStream publishing for the forwarder's batches. The batch is packed (pack.ts: several events in one NATS
 * message, cut where the spool's group commits end) and every pack is sent at once (pipelined), with
 * `Nats-Msg-Id` = the pack's id, so a pack republished within the stream's duplicate window (after a crash or
 * a timed-out ack) is stored once; the batch resolves when every PubAck has arrived and rejects with a
 * PublishError naming how many messages were not acknowledged.
 *
 * One NATS message per pack instead of per event: the gateway, the NATS servers (each replica stores, acks and
 * dedupes per message) and the consumer (one ack per message) all do their per-message work once a pack.
 * One reply subscription for all PubAcks (each reply subject ends in the pack's sequence number) and one timer a
 * batch, instead of a request — a mux entry, a timer, a promise and an `Error` built even on success — per message.
 */
export class JetStreamPublisher {
  private readonly prefix: string;
  private readonly batches = new Map<number, Batch>();
  private seq = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly target: PublishTarget,
  ) {
    this.prefix = `${createInbox()}.`;
    // Lives as long as the connection: closing the connection ends it.
    nc.subscribe(`${this.prefix}*`, { callback: (err, msg) => this.onReply(err, msg) });
  }

  /** Pack payloads stay well inside the server's max_payload, which also holds the headers. */
  private maxPackBytes(): number {
    const maxPayload = this.nc.info?.max_payload ?? 1024 * 1024;
    return Math.min(PACK_MAX_BYTES, Math.floor(maxPayload / 2));
  }

  publishAll(messages: readonly BusMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const packs = pack(messages, PACK_MAX_MESSAGES, this.maxPackBytes());
    return new Promise<void>((resolve, reject) => {
      const first = this.seq + 1;
      this.seq += packs.length;
      const batch: Batch = {
        first,
        counts: packs.map((p) => p.count),
        messages: messages.length,
        waiting: new Set(packs.keys()),
        failed: 0,
        firstError: undefined,
        timer: undefined,
        settle: () => {
          clearTimeout(batch.timer);
          for (let i = 0; i < packs.length; i++) this.batches.delete(first + i);
          if (batch.failed === 0) return resolve();
          const why = `${batch.failed} of ${batch.messages} messages not acknowledged by JetStream: ${batch.firstError ?? 'unknown'}`;
          reject(new PublishError(batch.failed, why));
        },
      };
      const failAll = (why: string) => {
        for (const i of batch.waiting) batch.failed += batch.counts[i] ?? 0;
        batch.waiting.clear();
        batch.firstError ??= why;
        batch.settle();
      };
      batch.timer = setTimeout(() => failAll(`no PubAck within ${this.target.timeoutMs} ms`), this.target.timeoutMs);
      for (let i = 0; i < packs.length; i++) this.batches.set(first + i, batch);
      try {
        for (let i = 0; i < packs.length; i++) {
          const p = packs[i] as Pack;
          const h = headers();
          h.set('Nats-Msg-Id', p.id);
          if (p.ids !== undefined && p.sizes !== undefined) {
            h.set(PACK_IDS_HEADER, p.ids);
            h.set(PACK_SIZES_HEADER, p.sizes);
          }
          this.nc.publish(this.target.subject, p.data, { headers: h, reply: `${this.prefix}${first + i}` });
        }
      } catch (err) {
        // The connection is closed or the message is too large for the server: nothing of this batch counts (no
        // PubAck can have arrived yet, so every pack is still waiting).
        failAll(err instanceof Error ? err.message : String(err));
      }
    });
  }

  private onReply(err: Error | null, msg: Msg): void {
    if (err) return; // the subscription ended (connection closed): waiting batches time out
    const seq = Number(msg.subject.slice(this.prefix.length));
    const batch = this.batches.get(seq);
    if (!batch) return; // late: its batch already settled (timed out)
    this.batches.delete(seq);
    const index = seq - batch.first;
    if (!batch.waiting.delete(index)) return;
    const problem = pubAckProblem(msg, this.target);
    if (problem !== undefined) {
      batch.failed += batch.counts[index] ?? 0;
      batch.firstError ??= problem;
    }
    if (batch.waiting.size === 0) batch.settle();
  }
}

/** Why a reply is not a PubAck from our stream, or undefined when it is one. */
function pubAckProblem(msg: Msg, target: PublishTarget): string | undefined {
  if (msg.data.length === 0 && msg.headers?.code === 503) {
    return `no JetStream stream stores subject ${target.subject} (no responders)`;
  }
  let ack: { stream?: unknown; error?: { description?: unknown; code?: unknown } };
  try {
    ack = msg.json();
  } catch {
    return 'the PubAck is not JSON';
  }
  if (ack.error) return `JetStream error ${String(ack.error.code)}: ${String(ack.error.description)}`;
  // Another stream capturing the subject would store events where no consumer of ours reads them.
  if (ack.stream !== target.stream) return `subject ${target.subject} is stored by stream ${String(ack.stream)}, not ${target.stream}`;
  return undefined;
}

/** Some PubAcks did not arrive; `failed` says how many (for the publishFailed count). */
export class PublishError extends BusUnavailableError {
  constructor(
    readonly failed: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
