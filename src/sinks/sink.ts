import type { Health } from '../lifecycle/health.js';
import type { TrackEvent } from '../track/event.js';

/** Records from other services, carried on their own subjects (see docs/delivery.md, "Service messages"). */
export type ServiceRecord =
  | { kind: 'log'; id: string; time: string; subject: string; level?: string; msg: string; fields?: Record<string, unknown> }
  | { kind: 'count'; id: string; time: string; subject: string; name: string; by: number; key?: string }
  | { kind: 'update'; id: string; time: string; subject: string; table: string; key: string; values: Record<string, unknown> };

/**
 * A destination for events. `write` stores the whole batch or throws; it is idempotent by event id,
 * so a redelivered batch never doubles a row.
 */
export interface Sink {
  readonly name: string;
  start(): Promise<void>;
  write(batch: readonly TrackEvent[]): Promise<void>;
  /**
   * Stores service records (logs, counters, updates), idempotent by record id like `write`. A sink without it
   * does not take them (a destination fan-out, say): the consumer passes them over it.
   */
  writeRecords?(batch: readonly ServiceRecord[]): Promise<void>;
  healthcheck(): Promise<Health>;
  close(): Promise<void>;
}

/** A sink that stores service records too (the stores: DuckDB, Cassandra). */
export type RecordSink = Sink & Required<Pick<Sink, 'writeRecords'>>;

export class SinkWriteError extends Error {
  readonly code = 'SINK_WRITE';
  constructor(
    readonly sink: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SinkWriteError';
  }
}
