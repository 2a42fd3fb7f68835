import { createInbox, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { BusUnavailableError, type BusMessage } from '../bus.js';
import { PACK_IDS_HEADER, PACK_MAX_BYTES, PACK_MAX_MESSAGES, PACK_SIZES_HEADER, pack, type Pack } from '../pack.js';
import type { PublishHealth } from './publish-health.js';
import { PublishLedger } from './publish-ledger.js';
import type { TailRead } from './stream-scan.js';

export interface PublishTarget {
  readonly stream: string;
  readonly subject: string;
  /** The stream's duplicate window (ms): a re-send well inside it needs no look-up. */
  readonly duplicateWindowMs: number;
}

/** Reads the stream: which of `ids` it holds after sequence `floor` (stream-scan.ts). */
export type StoredIdsLookup = (floor: number, ids: readonly string[]) => Promise<ReadonlySet<string>>;
/** Reads the stream: adds the message ids after `read.last` to `read.ids`, moving `read.last` (stream-scan.ts). */
export type TailLookup = (read: TailRead) => Promise<void>;

/** The stream's ids after a floor an earlier process left (publishAll's `storedAfter`), read once. */
interface Tail extends TailRead {
  done: boolean;
  reading: Promise<void> | undefined;
  usedAt: number;
}

/** A tail no batch asked about for this long is forgotten: its spool has moved past what it covers. */
const TAIL_KEEP_MS = 60_000;
/** A PING sent at a batch's timeout and not answered this long: the connection is slow (`onSlow`). */
export const SLOW_PING_MS = 1_000;

/**
 * What the publishers of one bus share, one per connection (nats-bus.ts keeps a standby connection): a pack
 * acknowledged, or sent without an answer, on one connection is known when the forwarder re-publishes it on the
 * other, and a restart's tail is read once.
 */
export class PublishMemory {
  readonly ledger = new PublishLedger();
  readonly tails = new Map<number, Tail>();
}

interface Batch {
  readonly first: number;
  readonly packs: readonly Pack[];
  readonly messages: number;
  /** Highest stream sequence acknowledged before this batch was sent: a copy of its packs lies after it. */
  readonly floor: number;
  readonly sentAt: number;
  /** Packs still waiting for their PubAck (their index in `packs`, from the reply's sequence number). */
  readonly waiting: Set<number>;
  failed: number;
  firstError: string | undefined;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
  settle: () => void;
}

/**
 * JetStream publishing for the forwarder's batches. The batch is packed (pack.ts: several events in one NATS
 * message, cut where the spool's group commits end) and every pack is sent at once (pipelined), with
 * `Nats-Msg-Id` = the pack's id; the batch resolves when every PubAck has arrived and rejects with a
 * PublishError naming how many messages were not acknowledged.
 *
 * A re-publish does not rely on the stream's duplicate window (publish-ledger.ts): packs acknowledged before are
 * not sent again, and packs whose ack was lost are first looked up in the stream. So a pack is stored once even
 * when its ack was lost in an outage longer than the window. Across a restart the ledger is gone: the spool
 * passes `storedAfter` (the floor it saved with its checkpoint) for records the last process may have sent, and
 * the stream's ids after that floor are read once, before the first of them is sent.
 *
 * One NATS message per pack instead of per event: the gateway, the NATS servers (each replica stores, acks and
 * dedupes per message) and the consumer (one ack per message) all do their per-message work once a pack.
 * One reply subscription for all PubAcks (each reply subject ends in the pack's sequence number) and one timer a
 * batch, instead of a request — a mux entry, a timer, a promise and an `Error` built even on success — per message.
 */
export class JetStreamPublisher {
  private readonly prefix: string;
  private readonly batches = new Map<number, Batch>();
  private readonly ledger: PublishLedger;
  private readonly tails: Map<number, Tail>;
  private seq = 0;
  /**
   * Called when a batch is past its timeout and the server has not answered a PING for SLOW_PING_MS: the bus
   * may move publishing to a connection that answers sooner (nats-bus.ts).
   */
  onSlow: (() => void) | undefined;

  /** `lastSeq`: the stream's last sequence when it was checked (anything published from now on lies after it). */
  constructor(
    private readonly nc: NatsConnection,
    private readonly target: PublishTarget,
    private readonly health: PublishHealth,
    memory: PublishMemory,
    private readonly lookup: StoredIdsLookup,
    private readonly tailLookup: TailLookup,
    lastSeq: number,
  ) {
    this.ledger = memory.ledger;
    this.tails = memory.tails;
    this.ledger.raiseFloor(lastSeq);
    this.prefix = `${createInbox()}.`;
    // Lives as long as the connection: closing the connection ends it.
    nc.subscribe(`${this.prefix}*`, { callback: (err, msg) => this.onReply(err, msg) });
  }

  /** Pack payloads stay well inside the server's max_payload, which also holds the headers. */
  private maxPackBytes(): number {
    const maxPayload = this.nc.info?.max_payload ?? 1024 * 1024;
    return Math.min(PACK_MAX_BYTES, Math.floor(maxPayload / 2));
  }

  /** A stream sequence every pack sent from now on will be stored after. */
  get floor(): number {
    return this.ledger.floor;
  }

  async publishAll(messages: readonly BusMessage[], storedAfter?: number): Promise<void> {
    if (messages.length === 0) return;
    let packs = pack(messages, PACK_MAX_MESSAGES, this.maxPackBytes()).filter((p) => !this.ledger.isAcked(p.id));
    if (storedAfter !== undefined && packs.length > 0) {
      const tail = await this.tail(storedAfter, messages.length);
      const ids = packs.map((p) => p.id);
      this.ledger.resolve(ids.filter((id) => tail.ids.has(id)), tail.ids);
      packs = packs.filter((p) => !this.ledger.isAcked(p.id));
    }
    // A re-send must reach the stream inside the window of a copy stored at the first send: leave it two PubAck
    // timeouts of room, else look the pack up first.
    const safeSince = Date.now() - (this.target.duplicateWindowMs - 2 * this.health.maxTimeoutMs);
    const unknown = this.ledger.unresolved(packs.map((p) => p.id), safeSince);
    if (unknown) {
      let stored: ReadonlySet<string>;
      try {
        stored = await this.lookup(unknown.floor, unknown.ids);
      } catch (err) {
        const why = `cannot check what the stream holds before re-publishing: ${err instanceof Error ? err.message : String(err)}`;
        this.health.failed(why);
        throw new PublishError(messages.length, why, { cause: err });
      }
      this.ledger.resolve(unknown.ids, stored);
    }
    const toSend = packs.filter((p) => !this.ledger.isAcked(p.id));
    if (toSend.length > 0) await this.send(toSend);
  }

  /**
   * The stream's ids after `floor`, read once for all the batches that ask (a restart re-publishes many); a read
   * cut short goes on from where it stopped at the next batch's call.
   */
  private async tail(floor: number, messages: number): Promise<TailRead> {
    const now = Date.now();
    for (const [f, t] of this.tails) if (now - t.usedAt > TAIL_KEEP_MS && !t.reading) this.tails.delete(f);
    let tail = this.tails.get(floor);
    if (!tail) {
      tail = { ids: new Set(), last: floor, done: false, reading: undefined, usedAt: now };
      this.tails.set(floor, tail);
    }
    const t = tail;
    t.usedAt = now;
    if (!t.done) {
      t.reading ??= this.tailLookup(t)
        .then(() => {
          t.done = true;
        })
        .finally(() => {
          t.reading = undefined;
        });
      try {
        await t.reading;
      } catch (err) {
        const why = `cannot check what the stream holds after sequence ${floor} (left by the last run; read up to ${t.last}) before re-publishing: ${err instanceof Error ? err.message : String(err)}`;
        this.health.failed(why);
        throw new PublishError(messages, why, { cause: err });
      }
    }
    // Packs sent from now on lie after what was read.
    this.ledger.raiseFloor(t.last);
    return t;
  }

  /** Batches are waiting for their PubAcks. */
  get waiting(): boolean {
    return this.batches.size > 0;
  }

  /**
   * Ends every batch still waiting (the connection dropped): its unanswered packs may or may not be stored.
   * Without this they would wait for their timeout, while the forwarder could already retry on the new connection.
   */
  abandon(why: string): void {
    for (const batch of new Set(this.batches.values())) {
      for (const i of batch.waiting) this.unknown(batch, i);
      batch.waiting.clear();
      batch.firstError ??= why;
      batch.settle();
    }
  }

  private send(packs: readonly Pack[]): Promise<void> {
    const timeoutMs = this.health.timeoutMs();
    return new Promise<void>((resolve, reject) => {
      const first = this.seq + 1;
      this.seq += packs.length;
      const token = this.health.sent();
      const batch: Batch = {
        first,
        packs,
        messages: packs.reduce((n, p) => n + p.count, 0),
        floor: this.ledger.floor,
        sentAt: Date.now(),
        waiting: new Set(packs.keys()),
        failed: 0,
        firstError: undefined,
        timer: undefined,
        settled: false,
        settle: () => {
          if (batch.settled) return;
          batch.settled = true;
          clearTimeout(batch.timer);
          for (let i = 0; i < packs.length; i++) this.batches.delete(first + i);
          this.health.settled(token, batch.failed === 0, batch.firstError ?? '');
          if (batch.failed === 0) return resolve();
          const why = `${batch.failed} of ${batch.messages} messages not acknowledged by JetStream: ${batch.firstError ?? 'unknown'}`;
          reject(new PublishError(batch.failed, why));
        },
      };
      // The timeout ends the batch only once the server is known to hold all of it: a PING sent after the
      // packs was answered. On one connection a re-send queues behind the first send and cannot arrive sooner;
      // while a lossy link is still retransmitting the packs, copies would only take its scarce capacity. A
      // server that holds the packs and sends no PubAck (the stream cannot store them) fails the batch at the
      // timeout as before. A link that answers nothing is found stale by the client's pings and dropped, and
      // `abandon` ends the batch.
      batch.timer = setTimeout(() => {
        const expire = (why: string) => {
          if (batch.settled) return;
          for (const i of batch.waiting) this.unknown(batch, i);
          batch.waiting.clear();
          batch.firstError ??= why;
          batch.settle();
        };
        const slow = setTimeout(() => {
          if (!batch.settled) this.onSlow?.();
        }, SLOW_PING_MS);
        this.nc
          .flush()
          .then(
            () => expire(`no PubAck within ${Math.max(timeoutMs, Date.now() - batch.sentAt)} ms`),
            // The connection was lost (`abandon` ended the batch already) or closed.
            (err: unknown) => expire(err instanceof Error ? err.message : String(err)),
          )
          .finally(() => clearTimeout(slow));
      }, timeoutMs);
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
        // The connection is closed or the message is too large for the server. Packs written before the throw
        // may have gone out: they count as unknown, so a re-publish looks them up first.
        for (const i of batch.waiting) this.unknown(batch, i);
        batch.waiting.clear();
        batch.firstError ??= err instanceof Error ? err.message : String(err);
        batch.settle();
      }
    });
  }

  /** Pack `index` of `batch` got no answer: counted as failed, and remembered as possibly stored. */
  private unknown(batch: Batch, index: number): void {
    const p = batch.packs[index] as Pack;
    batch.failed += p.count;
    this.ledger.onUnknown(p.id, batch.floor, batch.sentAt);
  }

  private onReply(err: Error | null, msg: Msg): void {
    if (err) return; // the subscription ended (connection closed): waiting batches time out
    const seq = Number(msg.subject.slice(this.prefix.length));
    const batch = this.batches.get(seq);
    if (!batch) return; // late: its batch already settled (timed out)
    this.batches.delete(seq);
    const index = seq - batch.first;
    if (!batch.waiting.delete(index)) return;
    const p = batch.packs[index] as Pack;
    const ack = readPubAck(msg, this.target);
    if ('problem' in ack) {
      // A definite refusal (no stream, JetStream error): the pack is not stored, a re-send is a first send.
      batch.failed += p.count;
      batch.firstError ??= ack.problem;
    } else {
      this.ledger.onAck(p.id, ack.seq);
      this.health.packAcked();
    }
    if (batch.waiting.size === 0) batch.settle();
  }
}

/** The stream sequence of a PubAck from our stream, or why the reply is not one. */
function readPubAck(msg: Msg, target: PublishTarget): { seq: number } | { problem: string } {
  if (msg.data.length === 0 && msg.headers?.code === 503) {
    return { problem: `no JetStream stream stores subject ${target.subject} (no responders)` };
  }
  let ack: { stream?: unknown; seq?: unknown; error?: { description?: unknown; code?: unknown } };
  try {
    ack = msg.json();
  } catch {
    return { problem: 'the PubAck is not JSON' };
  }
  if (ack.error) return { problem: `JetStream error ${String(ack.error.code)}: ${String(ack.error.description)}` };
  // Another stream capturing the subject would store events where no consumer of ours reads them.
  if (ack.stream !== target.stream) {
    return { problem: `subject ${target.subject} is stored by stream ${String(ack.stream)}, not ${target.stream}` };
  }
  return { seq: typeof ack.seq === 'number' ? ack.seq : 0 };
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
