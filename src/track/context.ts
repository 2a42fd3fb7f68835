import type { FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { TrackingConfig } from './config.js';
import type { BuiltEvent } from './build.js';
import type { EventOrigin, TrackEvent } from './event.js';
import type { EventPipeline } from './pipeline.js';
import type { LinkResolver } from './links/link-resolver.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/** Server facts about one request, handed to enrichment. */
export interface RequestFacts {
  readonly clientIp: string;
  readonly headers: IncomingHttpHeaders;
  readonly receivedAt: Date;
  readonly host: string;
  readonly origin: EventOrigin;
  /** Privacy signal honoured: store no IP, ids or hashes. */
  readonly anonymize: boolean;
}

export type Enrich = (built: BuiltEvent, facts: RequestFacts) => TrackEvent;

/** Everything the tracking routes need, built once at start. */
export interface TrackContext {
  readonly config: TrackingConfig;
  readonly pipeline: EventPipeline;
  readonly enrich: Enrich;
  readonly clientIp: (request: FastifyRequest) => string;
  /** The visitor's connection is HTTPS: ours, or a trusted TLS-terminating proxy's (its X-Forwarded-Proto). */
  readonly isHttps: (request: FastifyRequest) => boolean;
  readonly salt: string;
  readonly links?: LinkResolver;
  readonly rejected: (labels: { reason: string; route: string }, fields?: Record<string, unknown>, by?: number) => void;
  readonly telemetry: Telemetry;
}
