import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { embeddedDeadLetterPath, type DeadLetterLine } from '../bus/index.js';
import type { NatsConfig } from '../bus/config.js';
import { resetOnStale } from '../bus/nats/connection-kick.js';
import { connectionOptions } from '../bus/nats/connection-options.js';
import type { Config } from '../settings/schema.js';
import { ownedStores } from '../gateway/store-services.js';
import { createLogger } from '../telemetry/logger.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { decodeEvent } from '../track/codec.js';
import type { TrackEvent } from '../track/event.js';

export interface RedriveIo {
  out(line: string): void;
  /** The progress line, rewritten in place on a terminal. */
  progress(line: string): void;
}

export class RedriveError extends Error {
  constructor(
    readonly code: 'SOURCE_FAILED' | 'STORE_BUSY',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RedriveError';
  }
}

const PAGE = 500;
/** Bound on one fetch when the subject has nothing more. */
const FETCH_EXPIRES_MS = 2_000;

/**
 * `gatehouse redrive`: sends the dead letters back once their cause is fixed (a sink that was down too long).
 * With NATS, each message of the dead-letter subject is published again to the subject it came from (its
 * `Gatehouse-Subject` header) and the subject is then purged up to the last one sent; the gateway and the
 * consumers keep running. In embedded mode the events of `<spool.dir>/dead-letter.jsonl` are written to the stores
 * (the gateway must be stopped: DuckDB locks its file) and the file is renamed `dead-letter.<time>.redriven.jsonl`;
 * lines that are not events stay in a new dead-letter file. The sinks are idempotent by event id: a dead letter sent
 * back twice is stored once.
 */
export async function redrive(config: Readonly<Config>, io: RedriveIo): Promise<number> {
  return config.bus.kind === 'nats' ? redriveSubject(config.bus.nats, io) : redriveFile(config, io);
}

async function redriveSubject(nats: NatsConfig, io: RedriveIo): Promise<number> {
  const nc = await connect(connectionOptions(nats)).catch((err: unknown) => {
    throw new RedriveError('SOURCE_FAILED', `cannot connect to NATS: ${(err as Error).message}`, { cause: err });
  });
  // A connection the client finds stale is reset, not closed: publishes it still held must not reach the stream
  // later, after the run has failed and been started again (its messages go out under new ids).
  resetOnStale(nc);
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const info = await jsm.streams.info(nats.stream, { subjects_filter: nats.deadLetterSubject });
    const total = info.state.subjects?.[nats.deadLetterSubject] ?? 0;
    if (total === 0) {
      io.out(`redrive: no dead letters on ${nats.deadLetterSubject}`);
      return 0;
    }
    const lastSeq = info.state.last_seq;
    const consumer = await js.consumers.get(nats.stream, { filter_subjects: nats.deadLetterSubject });
    let sent = 0;
    let upTo = 0;
    for (;;) {
      let seen = 0;
      for await (const m of await consumer.fetch({ max_messages: PAGE, expires: FETCH_EXPIRES_MS })) {
        if (m.seq > lastSeq) break;
        seen++;
        const subject = m.headers?.get('Gatehouse-Subject') || nats.subject;
        // A new id, not the event's: should the consumer refuse it again, its new dead letter (`dl-<this id>`)
        // must not be dropped as a duplicate of the one purged below. Per dead letter, so a redrive run twice
        // within the duplicate window still publishes each once.
        await js.publish(subject, m.data, { msgID: `redrive-${m.seq}` });
        sent++;
        upTo = m.seq;
        io.progress(`redrive: ${sent}/${total} sent back`);
        if (m.seq === lastSeq || m.info.pending === 0) break;
      }
      if (seen === 0 || upTo >= lastSeq || sent >= total) break;
    }
    if (upTo > 0) await jsm.streams.purge(nats.stream, { filter: nats.deadLetterSubject, seq: upTo + 1 });
    io.out(`redrive: ${sent} dead letters sent back to their subjects and removed from ${nats.deadLetterSubject}`);
    return 0;
  } finally {
    await nc.close();
  }
}

async function redriveFile(config: Readonly<Config>, io: RedriveIo): Promise<number> {
  const path = embeddedDeadLetterPath(config.spool.dir);
  if (!existsSync(path)) {
    io.out(`redrive: no dead letters (${path} does not exist)`);
    return 0;
  }
  const events: TrackEvent[] = [];
  const kept: string[] = [];
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    if (!line.trim()) continue;
    const event = eventOf(line, config.bus.nats.subject);
    if (event) events.push(event);
    else kept.push(line);
  }
  const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
  const stores = await ownedStores(config, telemetry, true);
  try {
    for (const sink of stores.sinks) {
      await sink.start().catch((err: unknown) => {
        throw new RedriveError('STORE_BUSY', `cannot open the ${sink.name} store (stop the gateway first): ${(err as Error).message}`, { cause: err });
      });
    }
    for (let i = 0; i < events.length; i += PAGE) {
      const batch = events.slice(i, i + PAGE);
      for (const sink of stores.sinks) await sink.write(batch);
      io.progress(`redrive: ${Math.min(i + PAGE, events.length)}/${events.length} stored`);
    }
  } finally {
    for (const sink of stores.sinks) await sink.close();
  }
  await rename(path, path.replace(/\.jsonl$/, `.${new Date().toISOString().replace(/[:.]/g, '-')}.redriven.jsonl`));
  if (kept.length > 0) await writeFile(path, `${kept.join('\n')}\n`);
  io.out(`redrive: ${events.length} dead letters stored${kept.length ? `; ${kept.length} that are not events kept in ${path}` : ''}`);
  return 0;
}

/** The event a dead-letter line holds, or undefined for a message of another subject or one that does not decode. */
function eventOf(line: string, eventSubject: string): TrackEvent | undefined {
  try {
    const entry = JSON.parse(line) as Partial<DeadLetterLine>;
    if (entry.subject !== eventSubject || typeof entry.data !== 'string') return undefined;
    return decodeEvent(Buffer.from(entry.data, 'utf8'));
  } catch {
    return undefined;
  }
}
