import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { BusMessage } from '../bus/bus.js';
import type { SpoolConfig } from './config.js';
import type { LogIndex } from './log-index.js';
import { FLAG_END, FLAG_GROUP_END, encodeRecord } from './record.js';
import { segmentPath, syncDir, writeAll } from './segment-files.js';
import { SegmentStandby } from './standby.js';
import { SpoolWriteError } from './errors.js';

interface Call {
  readonly records: readonly BusMessage[];
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export interface CommitInfo {
  readonly calls: number;
  readonly records: number;
  readonly bytes: number;
  readonly durationMs: number;
}

export interface WriterHooks {
  onCommit(info: CommitInfo): void;
  onFailure(op: 'write' | 'sync' | 'rotate' | 'close' | 'probe', err: unknown): void;
  /** Writes succeed again after one or more failed (a group was committed or a probe passed). */
  onRecovered?(): void;
  /** The bytes of a committed group, at (segment, offset), once the index counts them. */
  onWritten?(seq: number, offset: number, buf: Buffer): void;
  /** A new segment was started: the one before is sealed, and can be deleted once forwarded. */
  onRotated?(seq: number): void;
  /** Preparing the next segment failed (spool.preallocate): it will be a plain file, no event is affected. */
  onPreallocateFailed?(err: unknown): void;
}

/** Write errors that deleting forwarded segments can cure: the disk (or the user's quota) is full. */
const OUT_OF_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/** The most a probe writes to find out whether a failing disk takes data again. */
const PROBE_MAX_BYTES = 1024 * 1024;

type WriterConfig = Pick<SpoolConfig, 'dir' | 'segmentBytes' | 'fsync' | 'fsyncInterval' | 'retryAfter' | 'preallocate'>;

/**
 * Group commit: calls queue up while a write is in flight and the next write takes them all, as one Buffer, one
 * positional write, synchronous with fsync "always" (O_DSYNC). A call resolves only once its group is written and synced.
 */
export class SegmentWriter {
  private handle: FileHandle | undefined;
  private seq: number;
  private size = 0;
  /** The segment file's size when it is larger than `size`: a prepared segment's zeros past the data. */
  private allocated = 0;
  /** The next segment, zero-filled ahead (spool.preallocate with fsync "always"). */
  private readonly standby: SegmentStandby | undefined;
  private queue: Call[] = [];
  private queued = 0;
  private scheduled = false;
  private flushing = false;
  private dirty = false;
  private syncing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  /** The last group write that failed, until a write succeeds again; its size is what a probe tries. */
  private failure: { readonly error: Error; readonly bytes: number } | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  /** The next write starts a new segment (see failed). */
  private sealed = false;

  constructor(
    private readonly config: WriterConfig,
    private readonly index: LogIndex,
    private readonly hooks: WriterHooks,
    firstSeq: number,
  ) {
    this.seq = firstSeq - 1;
    if (config.preallocate && config.fsync === 'always') {
      this.standby = new SegmentStandby(config.dir, config.segmentBytes, (err) => hooks.onPreallocateFailed?.(err));
    }
  }

  /** Bytes accepted but not yet committed; they count against maxBytes like pending ones. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Why group writes fail (disk full, I/O error), while they do; undefined once a write succeeds again. */
  get writeError(): Error | undefined {
    return this.failure?.error;
  }

  async start(): Promise<void> {
    // What a previous run left may be half written; the first segment gets a fresh one.
    await this.standby?.discard();
    await this.standby?.prepare();
    await this.rotate();
    if (this.config.fsync === 'interval') {
      this.timer = setInterval(() => this.syncInBackground(), this.config.fsyncInterval);
      this.timer.unref();
    }
  }

  append(records: readonly BusMessage[], bytes: number): Promise<void> {
    this.queued += bytes;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, bytes, resolve, reject });
      if (!this.scheduled && !this.flushing) {
        this.scheduled = true;
        // setImmediate, not a microtask: lets the requests read in this I/O phase join the same group.
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Resolves once every queued call is settled. */
  drain(): Promise<void> {
    if (!this.scheduled && !this.flushing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drains, syncs and closes the segment. Never throws (failures go to hooks). */
  async close(): Promise<void> {
    await this.drain();
    if (this.timer) clearInterval(this.timer);
    this.stopProbing();
    await this.syncing;
    const handle = this.handle;
    this.handle = undefined;
    await this.standby?.discard();
    if (!handle) return;
    await this.cutZeros(handle).catch((err: unknown) => this.hooks.onFailure('close', err));
    try {
      if (this.config.fsync !== 'never' && this.dirty) await handle.datasync();
    } catch (err) {
      this.hooks.onFailure('sync', err);
    }
    await handle.close().catch((err: unknown) => this.hooks.onFailure('close', err));
  }

  /**
   * A segment that is done with is cut to its data: its unused zeros (a prepared segment) are given back to the disk.
   * Not synced: a crash before the cut reaches the disk leaves zeros that recovery cuts (recovery.ts).
   */
  private async cutZeros(handle: FileHandle): Promise<void> {
    if (this.allocated <= this.size) return;
    await handle.truncate(this.size);
    this.allocated = 0;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        await this.commit(group);
      }
    } finally {
      this.release();
    }
  }

  /** Ends a flush or a probe: calls that queued meanwhile get their flush, drain() waiters learn it is idle. */
  private release(): void {
    this.flushing = false;
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
      return;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * While group writes fail, checks every `retryAfter` whether a write of the failed group's size (at most 1 MiB)
   * would now succeed: zeros at the end of the segment (synced like a group), then cut off again. Without it an unready
   * gateway would stay unready, since a load balancer sends it no traffic to try. Runs only between groups;
   * a group committed meanwhile settles the question instead.
   */
  private async probe(): Promise<void> {
    const failure = this.failure;
    if (!failure || this.flushing || this.scheduled) return;
    this.flushing = true;
    try {
      // Up to 1 MiB: a group that failed can be far larger, and the probe only asks whether the disk takes data.
      const bytes = Math.min(failure.bytes, PROBE_MAX_BYTES);
      const handle = await this.segmentFor(bytes);
      await writeAll(handle, Buffer.alloc(bytes), this.size);
      await this.discardTail();
      this.recovered();
    } catch (err) {
      this.hooks.onFailure('probe', err);
      await this.discardTail();
      this.failed(err as Error, failure.bytes);
    } finally {
      this.release();
    }
  }

  /**
   * After a write failed for lack of space the segment is sealed, if it holds data: the next write (or probe) starts
   * a new one. Only sealed segments are deleted once forwarded, so on a disk that filled up inside one segment its
   * forwarded bytes would otherwise stay on disk, and the disk full, for good. A new segment needs an inode, not a
   * data block; an empty one is never sealed, so a run of failures makes one new file, not one per failure.
   */
  private failed(error: Error, bytes: number): void {
    if (this.size > 0 && OUT_OF_SPACE.has((error as NodeJS.ErrnoException).code ?? '')) this.sealed = true;
    this.failure = { error, bytes };
    this.probeTimer ??= setInterval(() => void this.probe(), this.config.retryAfter);
    this.probeTimer.unref();
  }

  private recovered(): void {
    if (!this.failure) return;
    this.failure = undefined;
    this.stopProbing();
    this.hooks.onRecovered?.();
  }

  private stopProbing(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  private async commit(group: Call[]): Promise<void> {
    const started = performance.now();
    const at = Date.now();
    let bytes = 0;
    let records = 0;
    for (const call of group) {
      bytes += call.bytes;
      records += call.records.length;
    }
    const buf = encodeGroup(group, bytes, at);
    try {
      const handle = await this.segmentFor(bytes);
      // With fsync "always" the segment is open with O_DSYNC: the write returns once the data is on disk, the
      // same guarantee as write + fdatasync in one system call (one trip to the thread pool instead of two).
      await writeAll(handle, buf, this.size);
      if (this.config.fsync !== 'always') this.dirty = true;
    } catch (err) {
      this.hooks.onFailure('write', err);
      await this.discardTail();
      this.failed(err as Error, bytes);
      this.queued -= bytes;
      const failure = new SpoolWriteError(`spool write failed: ${(err as Error).message}`, { cause: err });
      for (const call of group) call.reject(failure);
      return;
    }
    const offset = this.size;
    this.size += bytes;
    // Count as pending before releasing the reservation, so the capacity check never sees the bytes twice or never.
    this.index.committed(this.seq, this.size, records, bytes, at);
    this.hooks.onWritten?.(this.seq, offset, buf);
    this.queued -= bytes;
    this.recovered();
    for (const call of group) call.resolve();
    this.hooks.onCommit({ calls: group.length, records, bytes, durationMs: performance.now() - started });
  }

  /** The segment the next `bytes` go to: a group never spans two segments, so a call is never split. */
  private async segmentFor(bytes: number): Promise<FileHandle> {
    if (!this.handle || this.sealed || (this.size > 0 && this.size + bytes > this.config.segmentBytes)) await this.rotate();
    if (!this.handle) throw new Error('no open segment');
    return this.handle;
  }

  /** Seals the current segment and starts the next; segments never shrink or get reused. */
  private async rotate(): Promise<void> {
    const old = this.handle;
    this.handle = undefined;
    this.sealed = false;
    if (old) {
      await this.syncing;
      await this.cutZeros(old);
      if (this.config.fsync !== 'never' && this.dirty) await old.datasync();
      this.dirty = false;
      await old.close();
    }
    const seq = ++this.seq;
    const path = segmentPath(this.config.dir, seq);
    const dsync = this.config.fsync === 'always' ? constants.O_DSYNC : 0;
    const prepared = (await this.standby?.take(path)) ?? false;
    this.handle = await open(path, constants.O_WRONLY | dsync | (prepared ? 0 : constants.O_CREAT | constants.O_EXCL), 0o666);
    this.allocated = prepared ? this.config.segmentBytes : 0;
    this.size = 0;
    this.index.addSegment(seq, 0, true);
    if (this.config.fsync !== 'never') await syncDir(this.config.dir);
    this.hooks.onRotated?.(seq);
    // The one after this: ready long before this one is full, unless the disk is short of space.
    void this.standby?.prepare();
  }

  /** After a failed write, cut the partial bytes so the next group lands right after the last committed one. */
  private async discardTail(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    try {
      await handle.truncate(this.size);
      this.allocated = 0;
    } catch (err) {
      // The file holds bytes we cannot vouch for: seal it at the committed size; the next group rotates.
      this.hooks.onFailure('rotate', err);
      this.handle = undefined;
      await handle.close().catch(() => undefined);
    }
  }

  private syncInBackground(): void {
    const handle = this.handle;
    if (!handle || !this.dirty || this.syncing) return;
    this.dirty = false;
    this.syncing = handle
      .datasync()
      .catch((err: unknown) => {
        this.dirty = true;
        this.hooks.onFailure('sync', err);
      })
      .finally(() => {
        this.syncing = undefined;
      });
  }
}

function encodeGroup(group: readonly Call[], bytes: number, at: number): Buffer {
  const buf = Buffer.allocUnsafe(bytes);
  let offset = 0;
  let lastCall = group.length - 1;
  while (lastCall > 0 && group[lastCall]?.records.length === 0) lastCall -= 1;
  group.forEach((call, c) => {
    const last = call.records.length - 1;
    call.records.forEach((record, i) => {
      const flags = i === last ? (c === lastCall ? FLAG_END | FLAG_GROUP_END : FLAG_END) : 0;
      offset = encodeRecord(buf, offset, record, flags, at);
    });
  });
  return buf;
}
