import type { Writable } from 'node:stream';
import { Gauge } from 'prom-client';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TrackEvent } from '../track/event.js';
import type { EventPipeline } from '../track/pipeline.js';
import type { FieldFilter } from './query.js';

export interface LiveOptions {
  /** Events a viewer may fall behind by before it is dropped. */
  queueLimit: number;
  /** Bytes left unsent in a viewer's socket before its events wait in the queue instead. */
  bufferLimit: number;
  /** Interval of heartbeat comments (keeps proxies and browsers from closing an idle stream). */
  heartbeatMs: number;
  /** How long a dropped viewer's socket may take to take its last bytes before it is destroyed. */
  dropGraceMs: number;
}

export const LIVE_DEFAULTS: LiveOptions = { queueLimit: 500, bufferLimit: 256 * 1024, heartbeatMs: 15_000, dropGraceMs: 30_000 };

interface Viewer {
  out: Writable;
  filter: FieldFilter;
  queue: TrackEvent[];
  waiting: boolean; // for 'drain'
  closed: boolean;
}

/**
 * Fan-out of accepted events to SSE viewers. The pipeline's listener only filters and enqueues (no I/O, no
 * serialisation), so accepts never wait for a viewer; writing happens later, per viewer, while its socket
 * takes data. A viewer whose queue passes `queueLimit` is dropped with a final comment: memory per viewer is
 * bounded by `queueLimit` events plus `bufferLimit` bytes, however slow it reads.
 */
export class LiveHub {
  private readonly viewers = new Set<Viewer>();
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly dropped: (labels: Record<string, never>, fields?: Record<string, unknown>) => void;
  private readonly options: LiveOptions;

  constructor(
    private readonly pipeline: EventPipeline,
    telemetry: Telemetry,
    options: Partial<LiveOptions> = {},
  ) {
    this.options = { ...LIVE_DEFAULTS, ...options };
    this.dropped = telemetry.event('adminLiveViewerDropped', 'Live tail viewers dropped for falling too far behind.', 'warn');
    const viewers = this.viewers;
    new Gauge({ name: 'gatehouse_admin_live_viewers', help: 'Open live tail (SSE) viewers.', registers: [telemetry.registry], collect() { this.set(viewers.size); } });
  }

  get size(): number {
    return this.viewers.size;
  }

  /** Starts streaming to `out` (headers already sent); returns a function that ends it. */
  add(out: Writable, filter: FieldFilter): () => void {
    const viewer: Viewer = { out, filter, queue: [], waiting: false, closed: false };
    this.viewers.add(viewer);
    out.on('drain', () => {
      viewer.waiting = false;
      this.flush(viewer);
    });
    out.once('close', () => this.remove(viewer));
    out.write(': connected\n\n');
    this.unsubscribe ??= this.pipeline.onAccepted((events) => this.onAccepted(events));
    this.heartbeat ??= setInterval(() => this.beat(), this.options.heartbeatMs).unref();
    return () => this.end(viewer, undefined);
  }

  /** Ends every stream (before the listener closes: a server waits for open responses). */
  closeAll(): void {
    for (const v of this.viewers) this.end(v, 'the gateway is shutting down');
  }

  private onAccepted(events: readonly TrackEvent[]): void {
    for (const viewer of this.viewers) {
      const before = viewer.queue.length;
      for (const e of events) if (matches(e, viewer.filter)) viewer.queue.push(e);
      if (viewer.queue.length > this.options.queueLimit) {
        this.dropped({}, { behind: viewer.queue.length });
        viewer.queue = [];
        this.end(viewer, 'dropped: this viewer fell too far behind');
      } else if (before === 0 && viewer.queue.length > 0 && !viewer.waiting) {
        setImmediate(() => this.flush(viewer));
      }
    }
  }

  private flush(viewer: Viewer): void {
    if (viewer.closed) return;
    while (viewer.queue.length > 0 && viewer.out.writableLength < this.options.bufferLimit) {
      const e = viewer.queue.shift() as TrackEvent;
      viewer.out.write(`id: ${e.eid}\ndata: ${JSON.stringify(e)}\n\n`);
    }
    if (viewer.queue.length > 0) viewer.waiting = true; // resumed by 'drain'
  }

  private beat(): void {
    for (const v of this.viewers) if (v.out.writableLength < this.options.bufferLimit) v.out.write(': heartbeat\n\n');
  }

  private end(viewer: Viewer, comment: string | undefined): void {
    if (viewer.closed) return;
    viewer.closed = true;
    this.remove(viewer);
    if (comment) viewer.out.write(`: ${comment}\n\n`);
    viewer.out.end();
    // A viewer that never reads would hold its socket (and buffer) forever: give it a grace, then cut.
    setTimeout(() => viewer.out.destroy(), this.options.dropGraceMs).unref();
  }

  private remove(viewer: Viewer): void {
    viewer.closed = true;
    this.viewers.delete(viewer);
    if (this.viewers.size > 0) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

function matches(e: TrackEvent, f: FieldFilter): boolean {
  return (
    (f.ename === undefined || e.ename === f.ename) &&
    (f.etyp === undefined || e.etyp === f.etyp) &&
    (f.vid === undefined || e.vid === f.vid) &&
    (f.uid === undefined || e.uid === f.uid) &&
    (f.url === undefined || e.url === f.url)
  );
}
