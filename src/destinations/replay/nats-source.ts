import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConfig } from '../../bus/config.js';
import { connectionOptions } from '../../bus/nats/connection-options.js';
import { messageParts } from '../../bus/nats/delivery.js';
import { decodeEvent } from '../../track/codec.js';
import type { TrackEvent } from '../../track/event.js';
import { ReplayError } from './replay.js';

export interface StreamHistory {
  /** Unknown: the stream counts messages, and a message may be a pack of many events. */
  readonly total: undefined;
  readonly pages: AsyncIterable<TrackEvent[]>;
  /** Publishes a refused event to the dead-letter subject, the vendor's answer in the reason header. */
  deadLetter(event: TrackEvent, reason: string, destination: string): Promise<void>;
  close(): Promise<void>;
}

/** Bound on one fetch when the stream has nothing more: the end of history. */
const FETCH_EXPIRES_MS = 2_000;

/**
 * NATS mode's history: an ephemeral ordered consumer on the event subject from the start time, read until it
 * reaches what the stream held when the replay began. Durable consumers are untouched.
 */
export async function streamHistory(config: NatsConfig, since: Date, until: Date | undefined, pageSize = 500): Promise<StreamHistory> {
  let nc: NatsConnection;
  try {
    nc = await connect(connectionOptions(config));
  } catch (err) {
    throw new ReplayError('SOURCE_FAILED', `cannot connect to NATS at ${config.servers.join(', ')}: ${(err as Error).message}`, { cause: err });
  }
  let js: JetStreamClient;
  let lastSeq: number;
  try {
    const jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    const info = await jsm.streams.info(config.stream);
    lastSeq = info.state.last_seq;
  } catch (err) {
    await nc.close();
    throw new ReplayError('SOURCE_FAILED', `stream ${config.stream} is not readable: ${(err as Error).message}`, { cause: err });
  }

  async function* pages(): AsyncGenerator<TrackEvent[]> {
    if (lastSeq === 0) return;
    const consumer = await js.consumers.get(config.stream, {
      // One subject as a string: older servers (before 2.10) know only filter_subject.
      filter_subjects: config.subject,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: since.toISOString(),
    });
    for (;;) {
      const page: TrackEvent[] = [];
      let done = true;
      for await (const m of await consumer.fetch({ max_messages: pageSize, expires: FETCH_EXPIRES_MS })) {
        if (m.seq > lastSeq) break;
        done = m.seq === lastSeq || m.info.pending === 0;
        for (const part of messageParts(m)) {
          try {
            const event = decodeEvent(part.data);
            if (!until || Date.parse(event.received) < until.getTime()) page.push(event);
          } catch {
            // Undecodable messages were dead-lettered by the store consumer when they arrived.
          }
        }
        if (done) break;
      }
      if (page.length > 0) yield page;
      if (done) return;
    }
  }

  return {
    total: undefined,
    pages: pages(),
    async deadLetter(event, reason, destination) {
      const h = headers();
      h.set('Gatehouse-Reason', reason.replace(/[\r\n]+/g, ' ').slice(0, 1024));
      h.set('Gatehouse-Destination', destination);
      h.set('Gatehouse-Replay', 'true');
      await js.publish(config.deadLetterSubject, Buffer.from(JSON.stringify(event)), { headers: h, msgID: `dl-replay-${destination}-${event.eid}` });
    },
    close: () => nc.close(),
  };
}
