import type { Bus, BusMessage } from '../bus/bus.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { SpoolConfig } from './config.js';
import { SpoolFullError, type Spool, type SpoolStats } from './spool.js';
import { SpoolClosedError, SpoolNotStartedError } from './errors.js';
import { CheckpointWriter } from './checkpoint.js';
import { spoolEvents, type SpoolEvents } from './events.js';
import { FailureLog } from './failure-log.js';
import { Forwarder } from './forwarder.js';
import type { LogIndex } from './log-index.js';
import { spoolMetrics, type SpoolMetrics } from './metrics.js';
import { recordSize } from './record.js';
import { recover, type Recovered } from './recovery.js';
import { SegmentReader } from './segment-reader.js';
import { SegmentWriter } from './writer.js';

export interface SpoolOptions {
  readonly config: SpoolConfig;
  readonly bus: Bus;
  readonly telemetry: Telemetry;
}

/** Default time `close()` gives the forwarder to publish what is pending. */
export const DEFAULT_CLOSE_BUDGET_MS = 5_000;

interface Running {
  readonly index: LogIndex;
  readonly writer: SegmentWriter;
  readonly reader: SegmentReader;
  readonly forwarder: Forwarder;
  readonly checkpoints: CheckpointWriter;
  readonly failures: FailureLog;
}

/** The durable spool (see DESIGN.md, Pipeline): build → start → append… → close. */
export function createSpool({ config, bus, telemetry }: SpoolOptions): Spool {
  const events = spoolEvents(telemetry);
  let parts: Running | undefined;
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  /** Size of the last append refused for lack of room (0: none); it is full while that would not fit. */
  let refusedBytes = 0;

  const stats = (): SpoolStats => {
    const oldest = parts?.index.oldestAppendedAt;
    const used = (parts?.index.pendingBytes ?? 0) + (parts?.writer.queuedBytes ?? 0);
    const writeError = parts?.writer.writeError;
    return {
      pendingBytes: parts?.index.pendingBytes ?? 0,
      pendingRecords: parts?.index.pendingRecords ?? 0,
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest),
      maxBytes: config.maxBytes,
      full: used >= config.maxBytes || (refusedBytes > 0 && used + refusedBytes > config.maxBytes),
      ...(writeError ? { writeError: writeError.message } : {}),
    };
  };
  const metrics = spoolMetrics(telemetry.registry, stats, () => parts?.forwarder.backoff.attempts ?? 0);

  return {
    start() {
      if (closing && !starting) return Promise.reject(new SpoolClosedError());
      starting ??= (async () => {
        const recovered = await recover(config.dir);
        report(events, recovered);
        parts = await assemble(config, bus, recovered, events, metrics);
      })();
      return starting;
    },

    async append(records: readonly BusMessage[]) {
      if (closing) throw new SpoolClosedError();
      if (!parts) throw new SpoolNotStartedError();
      if (records.length === 0) return;
      let bytes = 0;
      for (const r of records) bytes += recordSize(r);
      const { index, writer } = parts;
      if (index.pendingBytes + writer.queuedBytes + bytes > config.maxBytes) {
        // A call larger than the whole spool never fits; it says nothing about how full the spool is.
        if (bytes <= config.maxBytes) refusedBytes = bytes;
        events.full({}, { records: records.length, bytes, pendingBytes: index.pendingBytes });
        throw new SpoolFullError();
      }
      await writer.append(records, bytes);
    },

    stats,

    // `deadlineMs` of the interface is read as a budget from the call (e.g. the gateway's shutdown grace).
    close(budgetMs = DEFAULT_CLOSE_BUDGET_MS) {
      closing ??= shutdown(starting, () => parts, budgetMs, events);
      return closing;
    },
  };
}

async function assemble(
  config: SpoolConfig,
  bus: Bus,
  { index, nextSeq, busFloor }: Recovered,
  events: SpoolEvents,
  metrics: SpoolMetrics,
): Promise<Running> {
  const reader = new SegmentReader(config.dir);
  const checkpoints = new CheckpointWriter(config.dir);
  const forwarder = new Forwarder({
    config,
    bus,
    index,
    reader,
    checkpoints,
    // Every recovered record lies before the writer's new segment: what the last process may have published.
    ...(busFloor === undefined ? {} : { resume: { busFloor, end: { seq: nextSeq, offset: 0 } } }),
    hooks: {
      onForwarded(records, bytes, latencyMs) {
        metrics.publishSeconds.observe(latencyMs / 1000);
        events.forwarded({}, { records, bytes }, records);
      },
      onFailed(err, attempt, delayMs) {
        events.forwardFailed({}, { err, attempt, retryInMs: delayMs, pendingRecords: index.pendingRecords });
      },
      onCheckpointFailed(op, err) {
        events.checkpointFailed({ op }, { err });
      },
    },
  });
  // Reads `writer` only later, when a summary is due.
  const failures: FailureLog = new FailureLog(events, () => writer.writeError !== undefined);
  const writer = new SegmentWriter(
    config,
    index,
    {
      onCommit(info) {
        metrics.groupRecords.observe(info.records);
        metrics.commitSeconds.observe(info.durationMs / 1000);
        events.appended({}, { records: info.records, calls: info.calls, bytes: info.bytes }, info.records);
        forwarder.notify();
      },
      onFailure(op, err) {
        failures.failed(op, err);
      },
      onRecovered() {
        failures.recovered();
      },
      onWritten(seq, offset, buf) {
        reader.remember(seq, offset, buf);
      },
      onRotated() {
        // The segment before is sealed: the forwarder deletes it once forwarded, even when idle.
        forwarder.notify();
      },
      onPreallocateFailed(err) {
        events.preallocateFailed({}, { err });
      },
    },
    nextSeq,
  );
  await writer.start();
  forwarder.start();
  return { index, writer, reader, forwarder, checkpoints, failures };
}

function report(events: SpoolEvents, r: Recovered): void {
  for (const t of r.tornTails) {
    events.tornTail({}, { segment: t.seq, fileSize: t.fileSize, keptBytes: t.validEnd, droppedBytes: t.dataEnd - t.validEnd });
  }
  for (const v of r.salvaged) {
    events.salvaged({}, { segment: v.seq, copiedTo: v.into, records: v.records, lostBytes: v.lostBytes });
  }
  events.recovered(
    {},
    {
      segments: r.segments,
      checkpoint: r.checkpoint,
      pendingRecords: r.index.pendingRecords,
      pendingBytes: r.index.pendingBytes,
    },
  );
}

/**
 * Ordered shutdown: appends already queued are committed, the forwarder publishes until caught up or out of
 * budget, the checkpoint is saved and files are closed. Never throws: what is not forwarded stays on disk.
 */
async function shutdown(
  starting: Promise<void> | undefined,
  current: () => Running | undefined,
  budgetMs: number,
  events: SpoolEvents,
): Promise<void> {
  const deadline = Date.now() + budgetMs;
  await starting?.catch(() => undefined);
  const parts = current();
  if (!parts) return;
  try {
    await parts.writer.drain();
    await parts.forwarder.stop(deadline - Date.now());
    await parts.forwarder.persist();
    await parts.checkpoints.idle();
  } catch (err) {
    parts.failures.failed('close', err);
  }
  await parts.checkpoints.close();
  await parts.reader.close();
  await parts.writer.close();
  parts.failures.close();
  events.closed({}, { pendingRecords: parts.index.pendingRecords, pendingBytes: parts.index.pendingBytes });
}
