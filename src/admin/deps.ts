import type { Logger } from 'pino';
import type { CassandraReads } from '../sinks/cassandra/index.js';
import type { DuckDbStore } from '../sinks/duckdb/index.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { EventPipeline } from '../track/pipeline.js';
import type { ExperimentsConfig } from '../experiments/config.js';

/** What the data endpoints of the admin API need from the gateway. */
export interface AdminDataDeps {
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /** The embedded store; absent in cluster mode (the events live in Cassandra, written by `gatehouse consume`). */
  readonly store?: DuckDbStore;
  /** Reads of the Cassandra sink, when it is one here (cluster mode with sinks.cassandra.contactPoints). */
  readonly cassandra?: CassandraReads;
  /** Accepted events, live (the SSE tail). */
  readonly pipeline?: EventPipeline;
  /** Stores that keep events; those without reads here are named in erasure answers (`notErased`). */
  readonly readOnlySinks?: readonly string[];
  /** The configured experiments, for their results (`/admin/experiments`). */
  readonly experiments?: ExperimentsConfig;
  /** SSE tuning; defaults suit production. */
  readonly live?: { readonly queueLimit?: number; readonly bufferLimit?: number; readonly heartbeatMs?: number };
}
