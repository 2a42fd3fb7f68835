import { createInbox, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { BusUnavailableError, type BusMessage } from '../bus.js';

export interface PublishTarget {
  readonly stream: string;
  readonly subject: string;
  readonly timeoutMs: number;
}

interface Batch {
  readonly first: number;
  readonly size: number;
  remaining: number;
  failed: number;
  firstError: string | undefined;
  timer: NodeJS.Timeout | undefined;
  settle: () => void;
}

/**
 * JetStream publishing for the forwarder's batches: every message of a batch is sent at once (pipelined), with
 * `Nats-Msg-Id` = the message id, so a message republished within the stream's duplicate window (after a crash or
 * a timed-out ack) is stored once; the batch resolves when every PubAck has arrived and rejects with a
 * PublishError naming how many did not.
 *
 * This is what `js.publish` does per message, done per batch: one reply subscription for all PubAcks (each
 * message's reply subject ends in its sequence number) and one timer a batch, instead of a request — a mux
 * entry, a timer, a promise and an `Error` built even on success — per event. That was ~10% of the gateway's
 * CPU per tracked request (bench/ANALYSIS.md).
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

  publishAll(messages: readonly BusMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const first = this.seq + 1;
      this.seq += messages.length;
      const batch: Batch = {
        first,
        size: messages.length,
        remaining: messages.length,
        failed: 0,
        firstError: undefined,
        timer: undefined,
        settle: () => {
          clearTimeout(batch.timer);
          for (let s = batch.first; s < batch.first + batch.size; s++) this.batches.delete(s);
          if (batch.failed === 0) return resolve();
          const why = `${batch.failed} of ${batch.size} messages not acknowledged by JetStream: ${batch.firstError ?? 'unknown'}`;
          reject(new PublishError(batch.failed, why));
        },
      };
      batch.timer = setTimeout(() => {
        batch.failed += batch.remaining;
        batch.firstError ??= `no PubAck within ${this.target.timeoutMs} ms`;
        batch.remaining = 0;
        batch.settle();
      }, this.target.timeoutMs);
      for (let i = 0; i < messages.length; i++) this.batches.set(first + i, batch);
      try {
        for (let i = 0; i < messages.length; i++) {
          const m = messages[i] as BusMessage;
          const h = headers();
          h.set('Nats-Msg-Id', m.id);
          this.nc.publish(this.target.subject, m.data, { headers: h, reply: `${this.prefix}${first + i}` });
        }
      } catch (err) {
        // The connection is closed or the message is too large for the server: nothing of this batch counts.
        batch.failed = batch.size;
        batch.firstError = err instanceof Error ? err.message : String(err);
        batch.remaining = 0;
        batch.settle();
      }
    });
  }

  private onReply(err: Error | null, msg: Msg): void {
    if (err) return; // the subscription ended (connection closed): waiting batches time out
    const seq = Number(msg.subject.slice(this.prefix.length));
    const batch = this.batches.get(seq);
    if (!batch) return; // late: its batch already settled (timed out)
    this.batches.delete(seq);
    const problem = pubAckProblem(msg, this.target);
    if (problem !== undefined) {
      batch.failed++;
      batch.firstError ??= problem;
    }
    if (--batch.remaining === 0) batch.settle();
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
