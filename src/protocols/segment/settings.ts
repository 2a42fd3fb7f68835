import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../server/errors.js';
import type { ProtocolsConfig } from '../config.js';
import { keyMatcher } from '../keys.js';
import type { TrackContext } from '../../track/context.js';

/**
 * `GET <prefix>/projects/:writeKey/settings`: the source settings analytics.js 2.0 (@segment/analytics-next)
 * fetches from its CDN before it sends anything. `AnalyticsBrowser.load({ writeKey, cdnURL })` with cdnURL
 * naming this gateway then needs no other option: the "Segment.io" integration's `apiHost` and `protocol`,
 * from which the SDK builds `<protocol>://<apiHost>/t|p|i|...`, point back here. No device-mode integration
 * is listed (the SDK would fetch its code from Segment's CDN), and remote metrics are off (sampleRate 0),
 * so the browser talks to this gateway only.
 */
export function segmentSettingsRoute(app: FastifyInstance, config: ProtocolsConfig, rejected: TrackContext['rejected']): void {
  const segment = config.segment;
  const base = segment.prefix.replace(/\/$/, '');
  const known = keyMatcher(segment.writeKeys, (k) => k.key);

  app.get<{ Params: { writeKey: string } }>(`${base}/projects/:writeKey/settings`, { config: { routeClass: 'tracking' } }, async (request, reply) => {
    const { writeKey } = request.params;
    // The write key is public (it is in the page); an unknown one still learns nothing about the known ones.
    if (!known(writeKey)) {
      // The SDK loads nothing after this 404, so the page sends no event to be refused: counted here instead
      // (gatehouse_event_rejected_total{reason="unknown_write_key",route="segment-settings"}), or a mistyped
      // key in a page would lose its events without a trace on the server.
      rejected({ reason: 'unknown_write_key', route: 'segment-settings' });
      throw notFound('no Segment source has this write key');
    }
    const { protocol, apiHost } = collectorOf(request, segment.collectorUrl, base);
    reply.header('cache-control', 'public, max-age=300');
    return settingsDocument(writeKey, protocol, apiHost);
  });
}

/** Where browsers send events: the configured public URL, else the host and protocol this request came to. */
function collectorOf(request: FastifyRequest, collectorUrl: string, base: string): { protocol: string; apiHost: string } {
  if (collectorUrl) {
    const url = new URL(collectorUrl);
    return { protocol: url.protocol.replace(/:$/, ''), apiHost: `${url.host}${url.pathname.replace(/\/$/, '')}` };
  }
  return { protocol: request.protocol, apiHost: `${request.host}${base}` };
}

/** The shape of cdn.segment.com's answer, reduced to what analytics-next reads. */
export function settingsDocument(writeKey: string, protocol: string, apiHost: string) {
  return {
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        apiHost,
        protocol,
        unbundledIntegrations: [],
        addBundledMetadata: true,
        maybeBundledConfigIds: {},
        versionSettings: { version: '4.4.7', componentTypes: ['browser'] },
      },
    },
    plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
    edgeFunction: {},
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    metrics: { sampleRate: 0 },
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
  };
}
