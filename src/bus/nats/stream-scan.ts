import { nanos } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';

export interface ScanTarget {
  readonly stream: string;
  readonly subject: string;
}

/** Messages asked for per fetch while reading the stream's tail. */
const FETCH_MAX = 1_000;

/**
 * Which of `wanted` (pack ids, `Nats-Msg-Id`) the stream holds on `subject` after sequence `floor`. Reads headers
 * only, from `floor + 1` to the stream's end at the time of the call (or until every wanted id is found), so the
 * cost is the stream's growth since the uncertain packs were sent, whatever the duplicate window.
 * Rejects when the stream cannot be read within `timeoutMs`; the caller then sends nothing and retries later.
 */
export async function storedIds(
  jsm: JetStreamManager,
  js: JetStreamClient,
  target: ScanTarget,
  floor: number,
  wanted: readonly string[],
  timeoutMs: number,
): Promise<Set<string>> {
  const want = new Set(wanted);
  const found = new Set<string>();
  await scanIds(jsm, js, target, floor, timeoutMs, (id) => {
    if (id && want.has(id)) found.add(id);
    return found.size < want.size;
  });
  return found;
}

/** What a read of the stream's tail found so far: the message ids, and the last sequence read. */
export interface TailRead {
  readonly ids: Set<string>;
  last: number;
}

/**
 * Adds to `into` every `Nats-Msg-Id` the stream holds on `subject` after `into.last`, up to the stream's end, moving
 * `into.last` with each message: what an earlier process may have stored there before it stopped. A read cut short
 * (timeout, lost connection) keeps what it read; the next call goes on from there, so a long tail is read to its
 * end across calls instead of starting over each time.
 */
export async function idsAfter(jsm: JetStreamManager, js: JetStreamClient, target: ScanTarget, into: TailRead, timeoutMs: number): Promise<void> {
  await scanIds(jsm, js, target, into.last, timeoutMs, (id, seq) => {
    if (id) into.ids.add(id);
    into.last = Math.max(into.last, seq);
    return true;
  });
}

/**
 * Reads the headers of the messages on `subject` after sequence `floor` up to the stream's end at the time of the
 * call (an ephemeral, unacknowledged, in-memory consumer with headers_only), handing each message's id (if it has
 * one) and sequence to `visit` until it returns false.
 */
async function scanIds(
  jsm: JetStreamManager,
  js: JetStreamClient,
  target: ScanTarget,
  floor: number,
  timeoutMs: number,
  visit: (id: string | undefined, seq: number) => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const info = await jsm.consumers.add(target.stream, {
    filter_subject: target.subject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: floor + 1,
    ack_policy: AckPolicy.None,
    headers_only: true,
    mem_storage: true,
    num_replicas: 1,
    // Removed by the server if this process dies before deleting it.
    inactive_threshold: nanos(30_000),
  });
  const consumer = await js.consumers.get(target.stream, info.name);
  try {
    let pending = info.num_pending;
    let more = true;
    while (pending > 0 && more) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`reading the stream after sequence ${floor} took over ${timeoutMs} ms`);
      const batch = await consumer.fetch({ max_messages: Math.min(FETCH_MAX, pending), expires: Math.max(1_000, left) });
      let got = 0;
      for await (const m of batch) {
        got++;
        more = visit(m.headers?.get('Nats-Msg-Id') || undefined, m.info.streamSequence);
        pending = m.info.pending;
        if (pending === 0 || !more) break;
      }
      if (got === 0) throw new Error(`the stream did not deliver its messages after sequence ${floor}`);
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}
