import type { FastifyRequest } from 'fastify';
import type { Config } from '../settings/schema.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TrackContext } from '../track/context.js';
import type { EventPipeline } from '../track/pipeline.js';
import type { LinkResolver } from '../track/links/link-resolver.js';
import { createClientIpResolver, createEnricher, geoDatabases, openGeo, resolveSalt } from '../track/enrich/index.js';
import { createHttpsCheck } from '../track/enrich/forwarded-proto.js';
import { withAssignments } from '../experiments/event-assignments.js';

/**
 * Everything the tracking routes share, built once: the client-IP resolver (trusted proxies), the enricher
 * (with the GeoIP databases, the bundled country one included, opened at start, so a bad path fails the start, not a request) and one salt for
 * PII hashes, IP hashes and cookieless visitor ids.
 */
export async function buildTrackContext(
  config: Readonly<Config>,
  deps: { pipeline: EventPipeline; telemetry: Telemetry; links?: LinkResolver },
): Promise<TrackContext> {
  const salt = resolveSalt(config.enrich.salt);
  const trustedProxies = config.server.trustedProxies;
  const geoPaths = geoDatabases(config.enrich.geo);
  const geo = geoPaths.length > 0 ? await openGeo(geoPaths) : undefined;
  const enricher = withAssignments(config.experiments, createEnricher(config.enrich, { trustedProxies, forwardedHeader: config.server.forwardedHeader, salt, ...(geo ? { geo } : {}) }));
  const resolveIp = createClientIpResolver(trustedProxies, { header: config.server.forwardedHeader });
  const https = createHttpsCheck(trustedProxies, { header: config.server.forwardedHeader });
  const { gpc, dnt } = config.tracking.privacy;
  // 'drop' never reaches enrichment (the route answers without recording).
  const gpcAction = gpc === 'drop' ? 'anonymize' : gpc;
  const dntAction = dnt === 'drop' ? 'anonymize' : dnt;

  return {
    config: config.tracking,
    pipeline: deps.pipeline,
    telemetry: deps.telemetry,
    salt,
    ...(deps.links ? { links: deps.links } : {}),
    clientIp: (request: FastifyRequest) => resolveIp(request.socket.remoteAddress ?? '', request.headers),
    isHttps: (request: FastifyRequest) => https({ peer: request.socket.remoteAddress ?? '', encrypted: request.protocol === 'https', headers: request.headers }),
    enrich: (built, facts) =>
      enricher(
        // Raw PII is rare (hashed, then dropped, by the enricher); without it the fields go as they are.
        hasKeys(built.pii) ? { ...built.fields, ...built.pii } : built.fields,
        {
          peer: '',
          clientIp: facts.clientIp,
          headers: facts.headers,
          receivedAt: facts.receivedAt,
          host: facts.host,
          origin: facts.origin,
          gpcAction,
          dntAction,
        },
      ),
    rejected: deps.telemetry.event('eventRejected', 'Events refused, by reason and route; nothing was stored for them.', 'debug', ['reason', 'route']),
  };
}

function hasKeys(value: object): boolean {
  for (const _ in value) return true;
  return false;
}
