import type { TrackingConfig } from './config.js';
import type { Enricher } from './enrich/enrich.js';
import type { EventPipeline } from './pipeline.js';
import type { LinkResolver } from './links/link-resolver.js';
import type { RequestFactsOf } from './request-facts.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * Everything the tracking routes need, built once at start. One event takes one way through it: `facts` (once
 * per request) → buildEvent → identity → `enrich` → `pipeline` (the spool).
 */
export interface TrackContext {
  readonly config: TrackingConfig;
  readonly pipeline: EventPipeline;
  /** The request's facts: client IP through the trusted proxies, HTTPS, privacy decision. */
  readonly facts: RequestFactsOf;
  readonly enrich: Enricher;
  readonly salt: string;
  readonly links?: LinkResolver;
  readonly rejected: (labels: { reason: string; route: string }, fields?: Record<string, unknown>, by?: number) => void;
  readonly telemetry: Telemetry;
}
