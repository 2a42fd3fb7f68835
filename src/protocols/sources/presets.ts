import type { FieldRule } from './config.js';
import type { EventkitPresetConfig, ProductGraphPresetConfig, VectorPresetConfig } from './config.js';
import type { SourceDefinition } from './definition.js';

/**
 * The ingestion APIs of systems Gatehouse replaces, written as configured sources: nothing here is code a user
 * could not write in config.json (docs/sources.md shows each as JSON).
 */

const UTM: Record<string, FieldRule> = {
  source: 'properties.utm_source',
  medium: 'properties.utm_medium',
  campaign: 'properties.utm_campaign',
  term: 'properties.utm_term',
  content: 'properties.utm_content',
};

/** The Vector events router: POST /collect {event, userId, timestamp, properties, traits}; answers 200. */
export function vectorSources(config: VectorPresetConfig): SourceDefinition[] {
  if (!config.enabled) return [];
  return [
    {
      name: 'vector',
      configPath: '/protocols/vector',
      path: config.path,
      methods: ['POST'],
      auth: config.auth,
      batch: 'auto',
      map: {
        ename: { from: 'event', required: true },
        etyp: { from: 'event', lookup: { $identify: 'identify', $pageview: 'page', 'Page View': 'page' }, otherwise: 'track' },
        uid: 'userId',
        vid: 'anonymousId',
        eid: 'messageId',
        created: 'timestamp',
        ...UTM,
        params: { from: ['properties', 'traits'] },
      },
      unmapped: 'params',
      reply: () => ({ status: 200, body: { success: true } }),
    },
  ];
}

/** A Segment-shaped message as eventkit takes it; the stream name is kept in params.stream. */
const eventkitMap = (stream: FieldRule, etyp: FieldRule, type?: string): Record<string, FieldRule> => ({
  etyp,
  ename: { from: ['event', 'name', 'type'], ...(type ? { default: type } : {}) },
  uid: 'userId',
  vid: 'anonymousId',
  eid: 'messageId',
  created: { from: ['timestamp', 'originalTimestamp'] },
  url: { from: ['context.page.url', 'properties.url'] },
  last: { from: ['context.page.referrer', 'properties.referrer'] },
  'params.stream': stream,
  params: { from: ['properties', 'traits'] },
});

/**
 * eventkit: POST /collect/{stream} (and /collect, stream "default"): one event or an array, any JSON, 202
 * {"status":"accepted"}; POST /v1/identify, /v1/track, /v1/page: Segment-style, to the users, events and pages
 * streams.
 */
export function eventkitSources(config: EventkitPresetConfig): SourceDefinition[] {
  if (!config.enabled) return [];
  const base = {
    configPath: '/protocols/eventkit',
    methods: ['POST'] as const,
    auth: config.auth,
    batch: 'auto',
    unmapped: 'params' as const,
    reply: () => ({ status: 202, body: { status: 'accepted' } }),
  };
  const collect = config.collectPath.replace(/\/$/, '');
  const prefix = config.prefix.replace(/\/$/, '');
  const segment = (type: string, stream: string): SourceDefinition => ({
    ...base,
    name: `eventkit-${type}`,
    path: `${prefix}/${type}`,
    map: eventkitMap({ value: stream }, { value: type }, type),
  });
  return [
    { ...base, name: 'eventkit-collect', path: collect || '/', map: eventkitMap({ value: 'default' }, 'type') },
    { ...base, name: 'eventkit-stream', path: `${collect}/:stream`, map: eventkitMap('$path.stream', 'type') },
    segment('identify', 'users'),
    segment('track', 'events'),
    segment('page', 'pages'),
  ];
}

/**
 * ProductGraph: POST /v1/events {"events": [...]} with OpenTelemetry-style dotted attributes, the API key in
 * X-PG-API-Key; answers 202 {"accepted", "rejected", "errors"}. Attributes without an event field of their own
 * (page.path, ui.*, api.*, error.*) are kept in params under their own names.
 */
export function productGraphSources(config: ProductGraphPresetConfig): SourceDefinition[] {
  if (!config.enabled) return [];
  return [
    {
      name: 'productgraph',
      configPath: '/protocols/productgraph',
      path: config.path,
      methods: ['POST'],
      auth: config.auth,
      batch: 'events',
      map: {
        eid: { from: 'event_id', required: true },
        app: { from: 'project_id', required: true },
        sid: { from: 'session.id', required: true },
        etyp: { from: 'event.type', required: true },
        ename: { from: ['event.name', 'event.type'] },
        created: { from: 'event.timestamp', required: true },
        uid: 'user.id',
        url: 'page.url',
        last: 'page.referrer',
        duration: 'duration_ms',
        params: { from: 'metadata' },
      },
      unmapped: 'params',
      reply: (accepted) => ({ status: 202, body: { accepted, rejected: 0, errors: [] } }),
    },
  ];
}
