import { unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bus, PublishOptions } from '../bus/bus.js';
import type { SpoolConfig } from './config.js';
import { isAfter, type CheckpointWriter, type Position } from './checkpoint.js';
import type { LogIndex } from './log-index.js';
import type { Batch, SegmentReader } from './segment-reader.js';
import { segmentPath } from './segment-files.js';
import { Backoff } from '../lifecycle/backoff.js';
import { Wakeup } from './wakeup.js';
import { unlessAborted } from '../bus/abortable.js';

export interface ForwarderHooks {
  onForwarded(records: number, bytes: number, latencyMs: number): void;
  onFailed(err: unknown, attempt: number, delayMs: number): void;
  onCheckpointFailed(op: 'checkpoint' | 'delete', err: unknown): void;
}

export interface ForwarderDeps {
  readonly config: Pick<SpoolConfig, 'dir' | 'publishBatch' | 'publishInFlight' | 'retryMin' | 'retryMax'>;
  readonly bus: Bus;
  readonly index: LogIndex;
  readonly reader: SegmentReader;
  readonly checkpoints: CheckpointWriter;
  readonly hooks: ForwarderHooks;
  /** What the last process left: records before `end` may be on the bus after `busFloor` (its checkpoint's). */
  readonly resume?: { readonly busFloor: number; readonly end: Position };
}

/** The bus sequence before the first send of the records up to `end` (see Forwarder.floorFor). */
interface Mark {
  readonly end: Position;
  readonly floor: number;
}

/**
 * Least time between two checkpoint saves while forwarding. A save costs thread-pool work; a checkpoint that is
 * behind only means a restart after a crash republishes up to this much, which the bus stores once (see `marks`).
 */
export const CHECKPOINT_INTERVAL_MS = 100;

type Outcome = { ok: true; latencyMs: number } | { ok: false; err: unknown };

interface InFlight {
  readonly batch: Batch;
  readonly outcome: Promise<Outcome>;
}

/**
 * Publishes the log to the bus from the checkpoint on: up to `publishInFlight` batches at once, acknowledged in
 * log order. The checkpoint moves only past batches whose publish resolved; on a failure everything in flight is
 * dropped, the reader rewinds to the checkpoint and retries after a backoff. Nothing is ever skipped.
 */
export class Forwarder {
  readonly backoff: Backoff;
  private readonly wake = new Wakeup();
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private draining = false;
  private readPos: Position;
  private inFlight: InFlight[] = [];
  /**
   * Batches allowed in flight now: 1 after a failure, doubling with each acknowledged batch up to
   * `publishInFlight` (as TCP's slow start). On a lossy or flapping link a full pipeline only multiplies what a
   * failure throws away and re-sends; one batch at a time still moves the log forward.
   */
  private window: number;
  private persistWanted = false;
  private persisting: Promise<void> | undefined;
  private persistTimer: NodeJS.Timeout | undefined;
  private lastPersist = 0;
  /**
   * Exactly once across a crash, past the bus's duplicate window (issue 29). A record published but not yet
   * behind the saved checkpoint is published again by the next process; its first copy lies on the bus after
   * the bus sequence read just before its first send. So each checkpoint is saved with the lowest such sequence
   * among the records after it (`marks`: one per stretch of the log first read by this process, in log and time
   * order, so their floors only grow), and the next process publishes those records with `storedAfter` it: the
   * bus looks up what it holds after that sequence instead of trusting its window. Chosen over a lookup of every
   * re-publish or a per-gateway subject: the look-up reads only the bus's growth since shortly before the crash,
   * and only once per restart. No mark is needed in a stretch read again (a retry): its first send came earlier.
   */
  private readonly marks: Mark[] = [];
  /** The farthest end read (and published) so far, by this process or, per `resume`, the last one. */
  private highWater: Position;
  /** The latest bus sequence seen: the floor of anything published from now on. */
  private lastFloor: number | undefined;
  private resume: ForwarderDeps['resume'];

  constructor(private readonly deps: ForwarderDeps) {
    this.backoff = new Backoff(deps.config.retryMin, deps.config.retryMax);
    this.readPos = deps.index.checkpoint;
    this.window = deps.config.publishInFlight;
    this.highWater = this.readPos;
    const resume = deps.resume;
    if (resume && isAfter(resume.end, this.readPos)) {
      this.resume = resume;
      this.marks.push({ end: resume.end, floor: resume.busFloor });
      this.highWater = resume.end;
      this.lastFloor = resume.busFloor;
    }
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** New records were committed. */
  notify(): void {
    this.wake.notify();
  }

  /** Forwards what it can until caught up or `budgetMs` passed, then stops; in-flight publishes are abandoned. */
  async stop(budgetMs: number): Promise<void> {
    this.draining = true;
    this.wake.notify();
    const timer = setTimeout(() => this.abort.abort(), Math.max(0, budgetMs));
    await this.running;
    clearTimeout(timer);
    clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    this.abort.abort();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.fill();
        const head = this.inFlight[0];
        if (!head) {
          if (this.draining) return;
          this.persistSoon();
          // Not Promise.race with a promise that settles at abort: each race would leave a reaction on it for the
          // process's lifetime (a leak of a few promises per batch, ~0.5 MB/s of heap under load).
          await unlessAborted(this.wake.wait(), this.abort.signal);
          continue;
        }
        const outcome = await unlessAborted(head.outcome, this.abort.signal);
        if (outcome === 'aborted') return;
        if (outcome.ok) this.acknowledge(head.batch, outcome.latencyMs);
        else await this.retry(outcome.err);
      } catch (err) {
        // A read failed (I/O error, corrupt bytes): same as a failed publish, back off and try again.
        await this.retry(err);
      }
    }
  }

  /** Reads and publishes batches until the pipeline is full or the reader has caught up. */
  private async fill(): Promise<void> {
    const { index, reader, config } = this.deps;
    while (this.inFlight.length < Math.min(this.window, config.publishInFlight) && !this.stopped) {
      const span = index.readable(this.readPos);
      if (!span) return;
      const batch = await reader.read(span, config.publishBatch);
      this.readPos = batch.end;
      // Records the last process may have published: the bus checks what it already holds.
      const resume = this.resume;
      const options = resume && isAfter(resume.end, span) ? { storedAfter: resume.busFloor } : undefined;
      this.mark(batch.end);
      this.inFlight.push({ batch, outcome: this.publish(batch, options) });
    }
  }

  /** Called just before a publish of the records up to `end`: notes the bus sequence their copies will follow. */
  private mark(end: Position): void {
    // Undefined: a bus without sequences, or one that cannot send now (the publish fails before sending).
    if (this.deps.bus.sequence?.() === undefined) return;
    const floor = this.currentFloor() as number;
    if (!isAfter(end, this.highWater)) return;
    this.marks.push({ end, floor });
    this.highWater = end;
  }

  /** The bus sequence to save with checkpoint `target`: before every copy of a record after it. */
  private floorFor(target: Position): number | undefined {
    while (this.marks[0] && !isAfter(this.marks[0].end, target)) this.marks.shift();
    // No mark past `target`: nothing after it was published yet, and what will be lies after the current sequence.
    return this.marks[0]?.floor ?? this.currentFloor();
  }

  private currentFloor(): number | undefined {
    const floor = this.deps.bus.sequence?.();
    if (floor !== undefined && (this.lastFloor === undefined || floor > this.lastFloor)) this.lastFloor = floor;
    return this.lastFloor;
  }

  private async publish(batch: Batch, options: PublishOptions | undefined): Promise<Outcome> {
    const started = performance.now();
    try {
      await this.deps.bus.publish(batch.messages, options);
      return { ok: true, latencyMs: performance.now() - started };
    } catch (err) {
      return { ok: false, err };
    }
  }

  private acknowledge(batch: Batch, latencyMs: number): void {
    this.inFlight.shift();
    this.backoff.reset();
    this.window = Math.min(this.window * 2, this.deps.config.publishInFlight);
    this.deps.index.advance(batch.end, batch.messages.length, batch.bytes);
    if (this.resume && !isAfter(this.resume.end, batch.end)) this.resume = undefined;
    this.deps.hooks.onForwarded(batch.messages.length, batch.bytes, latencyMs);
    this.persistSoon();
  }

  /** A save at most every CHECKPOINT_INTERVAL_MS: now if the last was long enough ago, else one timer. */
  private persistSoon(): void {
    if (this.persistTimer || this.stopped) return;
    const wait = this.lastPersist + CHECKPOINT_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      void this.persist();
      return;
    }
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      void this.persist();
    }, wait);
    this.persistTimer.unref();
  }

  private async retry(err: unknown): Promise<void> {
    // Later batches may still be publishing; let them settle (they may succeed: the bus dedupes the re-publish).
    await unlessAborted(Promise.allSettled(this.inFlight.map((f) => f.outcome)), this.abort.signal);
    this.inFlight = [];
    this.window = 1;
    this.readPos = this.deps.index.checkpoint;
    const delay = this.backoff.next();
    this.deps.hooks.onFailed(err, this.backoff.attempts, delay);
    await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  /**
   * Saves the checkpoint, then deletes the segments wholly behind it. Runs after acknowledged batches (at most
   * every CHECKPOINT_INTERVAL_MS), when idle (so a segment sealed after the last batch is cleaned up too) and at
   * close. Requests made while a save runs collapse into one more round; the returned promise settles when no
   * round is left, and never rejects.
   */
  persist(): Promise<void> {
    this.persistWanted = true;
    this.persisting ??= this.persistRounds().finally(() => {
      this.persisting = undefined;
    });
    return this.persisting;
  }

  private async persistRounds(): Promise<void> {
    const { index, checkpoints, hooks } = this.deps;
    while (this.persistWanted) {
      this.persistWanted = false;
      this.lastPersist = performance.now();
      const target = index.normalise(index.checkpoint);
      const saved = checkpoints.saved;
      if (saved && saved.seq === target.seq && saved.offset === target.offset) continue;
      let onDisk: Position;
      try {
        onDisk = await checkpoints.save(target, this.floorFor(target));
      } catch (err) {
        hooks.onCheckpointFailed('checkpoint', err);
        // Deleted all the same: freeing forwarded segments must not wait for a write that needs free space (on a
        // full disk the save fails, and the space it needs is held by those very segments). Exactly-once holds:
        // every record of a segment before `target` was acknowledged by the bus, so nothing unforwarded goes; and
        // after a crash the spool replays from the older checkpoint on disk through the segments still there,
        // never more than it would have replayed with them kept (recovery starts at the first segment that
        // exists; the bus and the sinks drop repeats by id).
        await this.deleteForwarded(target);
        // Not return: a request made meanwhile (the forwarder's last ack, say) would be lost, and with it, on an
        // idle spool, the deletion of what that ack forwarded.
        continue;
      }
      await this.deleteForwarded(onDisk);
    }
  }

  private async deleteForwarded(before: Position): Promise<void> {
    const { index, reader, hooks, config } = this.deps;
    for (const seq of index.forwardedSegments(before)) {
      index.removeSegment(seq);
      await reader.release(seq);
      await unlink(segmentPath(config.dir, seq)).catch((err: unknown) => {
        // Left behind, it is deleted at the next start (recovery removes segments before the checkpoint).
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') hooks.onCheckpointFailed('delete', err);
      });
    }
  }
}
