import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section, Size, Strict } from '../config/types.js';
import { EventkitPresetConfig, ProductGraphPresetConfig, SourcesConfig, VectorPresetConfig } from './sources/config.js';

const Paths = (defaults: string[], description: string) =>
  Type.Array(Type.String({ pattern: '^/' }), { default: defaults, description });

const SegmentConfig = Section(
  {
    enabled: Type.Boolean({ default: false, description: 'Serve the Segment HTTP API (/v1/track, /v1/batch, ...). Off by default: its paths would otherwise shadow the same paths of a proxied site.' }),
    prefix: Type.String({ default: '/v1', pattern: '^/', description: 'Prefix of the Segment routes: <prefix>/track, /identify, /page, /screen, /group, /alias, /batch.' }),
    collectorUrl: Type.String({
      default: '',
      pattern: '^(https?://[^?#]+)?$',
      description:
        'Public URL of these routes as browsers reach them ("https://collector.example.com/v1"), named in the settings analytics.js fetches (`<prefix>/projects/<writeKey>/settings`). Empty: the Host and protocol of that settings request; set it behind a TLS-terminating proxy.',
    }),
    writeKeys: Type.Array(
      Strict(
        {
          name: Type.String({ minLength: 1, description: 'Who holds the key (logged instead of the key).' }),
          key: Type.String({ minLength: 1, description: 'The write key; use "${SEGMENT_WRITE_KEY}". Sent as the HTTP basic-auth user name.' }),
          trustContext: Type.Boolean({
            default: false,
            description:
              'This key is a server\'s (kept secret, used over basic auth): its events\' context.ip and context.userAgent replace the connection\'s client IP and User-Agent in enrichment. Leave false for a key used in web pages: a browser write key is public, so anyone could set those fields.',
          }),
        },
        { description: 'One accepted write key.' },
      ),
      { default: [], description: 'Write keys accepted (basic auth user name, or "writeKey" in the body). Empty: every Segment request answers 401.' },
    ),
  },
  { description: 'Segment HTTP tracking API.' },
);

const SnowplowConfig = Section(
  {
    enabled: Type.Boolean({ default: false, description: 'Serve the Snowplow tracker protocol. Off by default: its paths would otherwise shadow the same paths of a proxied site.' }),
    pixelPaths: Paths(['/i', '/com.snowplowanalytics.snowplow/i'], 'GET pixel endpoints (one event in the query; answered with a GIF).'),
    postPaths: Paths(['/com.snowplowanalytics.snowplow/tp2'], 'POST endpoints (payload_data with data[]).'),
  },
  { description: 'Snowplow tracker protocol (GET /i, POST tp2). Unauthenticated, like the browser trackers that use it.' },
);

const PostHogConfig = Section(
  {
    enabled: Type.Boolean({ default: false, description: 'Serve the PostHog capture API. Off by default: its paths would otherwise shadow the same paths of a proxied site.' }),
    paths: Paths(['/capture', '/batch', '/e', '/i/v0/e'], 'Capture endpoints (each also with a trailing slash).'),
    projectKeys: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Project API keys (api_key / token) accepted. Empty: any key is accepted (PostHog project keys are public, write-only tokens), but one must be sent.',
    }),
  },
  { description: 'PostHog capture API (/capture, /batch, /e, /i/v0/e), gzip and base64 forms included.' },
);

const Ga4Config = Section(
  {
    enabled: Type.Boolean({ default: false, description: 'Serve the GA4 Measurement Protocol. Off by default: its paths would otherwise shadow the same paths of a proxied site.' }),
    paths: Paths(['/mp/collect'], 'Measurement Protocol endpoints.'),
    secrets: Type.Array(
      Strict(
        {
          measurementId: Type.String({ minLength: 1, description: 'measurement_id (G-XXXXXXX) or firebase_app_id.' }),
          apiSecret: Type.String({ minLength: 1, description: 'api_secret for it; use "${GA4_API_SECRET}".' }),
        },
        { description: 'One accepted measurement id and its API secret.' },
      ),
      { default: [], description: 'Accepted measurement ids with their api_secret. Empty: every request answers 401.' },
    ),
  },
  { description: 'GA4 Measurement Protocol (/mp/collect?measurement_id=...&api_secret=...).' },
);

export const ProtocolsConfig = Section(
  {
    bodyLimit: Size('1MB', { description: 'Largest request body of a protocol route, as sent (compressed); larger get 413.' }),
    inflatedLimit: Size('8MB', { description: 'Largest body after gzip or base64 decoding; larger get 413.' }),
    maxBatch: Type.Integer({ minimum: 1, maximum: 10_000, default: 500, description: 'Most events in one request.' }),
    maxParams: Type.Integer({ minimum: 1, default: 200, description: 'Most entries in `params` per event (a protocol event\'s properties); an event with more gets 400 INVALID_EVENT, and its request stores nothing.' }),
    maxValueLength: Type.Integer({ minimum: 16, default: 8192, description: 'Longest value of one field or property, in characters.' }),
    segment: SegmentConfig,
    snowplow: SnowplowConfig,
    posthog: PostHogConfig,
    ga4: Ga4Config,
    vector: VectorPresetConfig,
    eventkit: EventkitPresetConfig,
    productgraph: ProductGraphPresetConfig,
    sources: SourcesConfig,
  },
  { description: 'Other trackers\' ingestion protocols, mapped onto Gatehouse events (original payload in `raw`).' },
);

export type ProtocolsConfig = StaticDecode<typeof ProtocolsConfig>;
