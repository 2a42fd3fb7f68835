import type { Logger } from 'pino';
import type { DuckDbStore } from '../sinks/duckdb/index.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { EventPipeline } from '../track/pipeline.js';

/** What the data endpoints of the admin API need from the gateway. */
export interface AdminDataDeps {
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /** The embedded store; absent in cluster mode (the events live in Cassandra, written by `gatehouse consume`). */
  readonly store?: DuckDbStore;
  /** Accepted events, live (the SSE tail). */
  readonly pipeline?: EventPipeline;
  /** Stores that keep events but cannot erase or be read here yet (named in erasure answers). */
  readonly readOnlySinks?: readonly string[];
  /** SSE tuning; defaults suit production. */
  readonly live?: { readonly queueLimit?: number; readonly bufferLimit?: number; readonly heartbeatMs?: number };
}
