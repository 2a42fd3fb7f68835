import type { Position } from './checkpoint.js';

interface Segment {
  readonly seq: number;
  /** Bytes committed (written, and synced per policy); readers never look past it. */
  size: number;
}

/** A run of records appended at one time, for the oldest-age gauge. */
interface Chunk {
  readonly seq: number;
  end: number;
  readonly at: number;
}

/** A readable stretch of one segment. */
export interface Span {
  readonly seq: number;
  readonly offset: number;
  readonly end: number;
}

/**
 * The in-memory view of the log: segment sizes, the forwarded position and the pending totals. It is rebuilt from
 * disk at start and is never the source of truth for durability; it only saves the writer and forwarder syscalls.
 */
export class LogIndex {
  private readonly segments: Segment[] = [];
  private readonly chunks: Chunk[] = [];
  private chunkHead = 0;
  private active = -1;
  pendingBytes = 0;
  pendingRecords = 0;

  constructor(private cp: Position) {}

  get checkpoint(): Position {
    return this.cp;
  }

  get activeSeq(): number {
    return this.active;
  }

  get oldestAppendedAt(): number | undefined {
    return this.chunks[this.chunkHead]?.at;
  }

  /** Sequence numbers of the segments wholly before the checkpoint (safe to delete once it is saved). */
  forwardedSegments(before: Position): number[] {
    return this.segments.filter((s) => s.seq < before.seq && s.seq !== this.active).map((s) => s.seq);
  }

  /** Registers a segment found at recovery (sealed) or opened by the writer (`active`). */
  addSegment(seq: number, size: number, active: boolean): void {
    this.segments.push({ seq, size });
    if (active) this.active = seq;
  }

  removeSegment(seq: number): void {
    const i = this.segments.findIndex((s) => s.seq === seq);
    if (i >= 0) this.segments.splice(i, 1);
  }

  /** Records `records` pending records of `bytes` that end at `end` of segment `seq`, appended at `at`. */
  committed(seq: number, end: number, records: number, bytes: number, at: number): void {
    const segment = this.segments.find((s) => s.seq === seq);
    if (segment && seq === this.active) segment.size = Math.max(segment.size, end);
    this.pendingBytes += bytes;
    this.pendingRecords += records;
    const last = this.chunks[this.chunks.length - 1];
    if (last && this.chunks.length > this.chunkHead && last.seq === seq && last.at === at) last.end = end;
    else this.chunks.push({ seq, end, at });
  }

  /** Marks everything before `to` forwarded; `records` and `bytes` are what that step covered. */
  advance(to: Position, records: number, bytes: number): void {
    this.cp = to;
    this.pendingBytes = Math.max(0, this.pendingBytes - bytes);
    this.pendingRecords = Math.max(0, this.pendingRecords - records);
    for (;;) {
      const c = this.chunks[this.chunkHead];
      if (!c || c.seq > to.seq || (c.seq === to.seq && c.end > to.offset)) break;
      this.chunkHead++;
    }
    // Compact now and then so the array does not grow for the life of the process.
    if (this.chunkHead > 1024 && this.chunkHead * 2 > this.chunks.length) {
      this.chunks.splice(0, this.chunkHead);
      this.chunkHead = 0;
    }
  }

  /**
   * The committed bytes readable at `from`, skipping past the ends of sealed segments; undefined when the reader
   * has caught up with the writer. The returned span's `seq`/`offset` is the normalised position.
   */
  readable(from: Position): Span | undefined {
    let pos = from;
    for (;;) {
      const segment = this.segments.find((s) => s.seq >= pos.seq);
      if (!segment) return undefined;
      const offset = segment.seq === pos.seq ? pos.offset : 0;
      if (offset < segment.size) return { seq: segment.seq, offset, end: segment.size };
      if (segment.seq === this.active) return undefined;
      pos = { seq: segment.seq + 1, offset: 0 };
    }
  }

  /** `from`, moved past sealed segments it has exhausted (so the segments behind it can be deleted). */
  normalise(from: Position): Position {
    const span = this.readable(from);
    if (span) return { seq: span.seq, offset: span.offset };
    const active = this.segments.find((s) => s.seq === this.active);
    return active && active.seq >= from.seq ? { seq: active.seq, offset: Math.max(active.size, 0) } : from;
  }
}
