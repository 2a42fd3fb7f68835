import type { Config } from '../settings/schema.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TrackContext } from '../track/context.js';
import type { EventPipeline } from '../track/pipeline.js';
import type { LinkResolver } from '../track/links/link-resolver.js';
import { createRequestFacts } from '../track/request-facts.js';
import type { RequestClient } from '../track/request-client.js';
import { createEnricher, geoDatabases, openGeo, resolveSalt } from '../track/enrich/index.js';
import { withAssignments } from '../experiments/event-assignments.js';

/**
 * Everything the tracking routes share, built once: the request facts (over the gateway's one RequestClient),
 * the enricher (with the GeoIP databases, the bundled country one included, opened at start, so a bad path
 * fails the start, not a request) and one salt for PII hashes, IP hashes and cookieless visitor ids.
 */
export async function buildTrackContext(
  config: Readonly<Config>,
  deps: { pipeline: EventPipeline; telemetry: Telemetry; client: RequestClient; links?: LinkResolver },
): Promise<TrackContext> {
  const salt = resolveSalt(config.enrich.salt);
  const geoPaths = geoDatabases(config.enrich.geo);
  const geo = geoPaths.length > 0 ? await openGeo(geoPaths) : undefined;

  return {
    config: config.tracking,
    pipeline: deps.pipeline,
    telemetry: deps.telemetry,
    salt,
    ...(deps.links ? { links: deps.links } : {}),
    facts: createRequestFacts(deps.client, config.tracking.privacy),
    // Later events of a visitor carry its experiment assignments (src/experiments).
    enrich: withAssignments(config.experiments, createEnricher(config.enrich, { salt, ...(geo ? { geo } : {}) })),
    rejected: deps.telemetry.event('eventRejected', 'Events refused, by reason and route; nothing was stored for them.', 'debug', ['reason', 'route']),
  };
}
