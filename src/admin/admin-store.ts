import type { EventFilter, ExportFormat, Ranked, StatsRange, StatsReport } from '../sinks/duckdb/index.js';
import type { TrackEvent } from '../track/event.js';
import type { StoreReport } from './reports.js';

export interface EventPage {
  events: TrackEvent[];
  /** The `before` of the next page; null on the last one. */
  next: string | null;
}

/** Report bodies a store gives. `pages` may lack visitors (Cassandra counts page hits with counters). */
export type StatsParts = Partial<Omit<StatsReport, 'range' | 'pages'>> & { pages?: (Omit<Ranked, 'visitors'> & { visitors?: number })[] };

/**
 * What the admin data API asks of a store (the seam between the routes and DuckDB or Cassandra). Every
 * capability is optional: a route answers 501 NOT_SUPPORTED_BY_STORE when no store has it.
 */
export interface AdminStore {
  /** The sink's name, as used in erasure answers (`erased`, `notErased`). */
  readonly name: string;
  /** The stats reports `stats` answers. */
  readonly reports: readonly StoreReport[];
  /** The formats `exportEvents` writes. */
  readonly exportFormats: readonly ExportFormat[];
  queryEvents?(filter: EventFilter): Promise<EventPage>;
  /** Every event of a visitor (an access request). */
  visitorEvents?(vid: string): Promise<TrackEvent[]>;
  /** Erasure; each resolves with the events removed. */
  deleteByVisitor?(vid: string): Promise<number>;
  deleteByUser?(uid: string): Promise<number>;
  /** At least the asked reports (all of them in `reports`). */
  stats?(range: StatsRange, reports: readonly StoreReport[]): Promise<StatsParts>;
  /** Writes a range of events, oldest first, to a file on this host; resolves with the rows written. */
  exportEvents?(range: Pick<EventFilter, 'since' | 'until'>, format: ExportFormat, path: string): Promise<number>;
}
