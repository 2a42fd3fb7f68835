import { Type, type StaticDecode } from '@sinclair/typebox';
import { Duration, Section, Size, Strict } from '../config/types.js';

const Fields = (defaults: string[], description: string) => Type.Array(Type.String({ minLength: 1 }), { default: defaults, description });
const Values = (description: string) => Type.Optional(Type.Array(Type.String(), { minItems: 1, description }));

/** All conditions of one rule must hold; a value ending in "*" matches by prefix. */
const Rule = Strict(
  {
    ename: Values('Event names (ename) that match.'),
    etyp: Values('Event types (etyp) that match.'),
    origin: Values('Origins that match: track, server, pixel, redirect, shortlink, pageview, protocol.'),
    has: Values('Fields that must be present and non-empty ("source", "uid", "params.plan").'),
    fields: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String(), { minItems: 1 }), {
        description: 'Field → accepted values ({"params.plan": ["pro", "team"]}).',
      }),
    ),
  },
  { description: 'One routing rule.' },
);

const Mapping = Section(
  {
    distinctId: Fields(['uid', 'vid'], 'Fields tried in order for distinct_id (PostHog, Mixpanel).'),
    userId: Fields(['uid'], 'Fields tried in order for user_id (Amplitude).'),
    deviceId: Fields(['did', 'vid'], 'Fields tried in order for device_id (Amplitude).'),
    event: Fields(['ename', 'etyp'], 'Fields tried in order for the event name; "event" when none is set.'),
    time: Fields(['created', 'received'], 'Fields tried in order for the event time.'),
    exclude: Fields(['raw'], 'Fields never sent (the rest go to the properties).'),
  },
  { description: 'How Gatehouse fields become the vendor\'s; params are merged into the properties.' },
);

/** Settings every destination has; `batchMax` is the vendor's documented limit of events per request. */
function common(kind: string, batchDefault: number, batchMax: number) {
  return {
    name: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'Unique name: metrics label, durable consumer and spool directory.' }),
    enabled: Type.Boolean({ default: true, description: 'Deliver to this destination.' }),
    match: Type.Array(Rule, { default: [], description: 'Routing: an event goes here when any rule matches. Empty: every event.' }),
    mapping: Mapping,
    batchSize: Type.Integer({ minimum: 1, maximum: batchMax, default: batchDefault, description: `Most events per request (${kind} allows ${batchMax}).` }),
    batchWait: Duration('1s', { description: 'Longest wait to fill a batch.' }),
    timeout: Duration('10s', { description: 'Longest wait for one HTTP request.' }),
    retryMin: Duration('1s', { description: 'First wait after a failed request; doubles on each further failure.' }),
    retryMax: Duration('5m', { description: 'Longest wait between retries (a Retry-After header is honoured even when longer).' }),
    maxAttempts: Type.Integer({
      minimum: 1,
      default: 200,
      description: 'Deliveries of an event that keeps failing with retryable errors before it goes to the dead letters.',
    }),
  };
}

const PostHogDestination = Strict(
  {
    ...common('PostHog', 100, 1000),
    url: Type.String({ minLength: 1, default: 'https://us.i.posthog.com', description: 'PostHog host (events go to <url>/batch/).' }),
    apiKey: Type.String({ minLength: 1, description: 'Project API key; use "${POSTHOG_API_KEY}".' }),
    historicalMigration: Type.Boolean({ default: false, description: 'Mark batches as historical imports (for replays of old data).' }),
  },
  { description: 'A PostHog project.' },
);

const MixpanelDestination = Strict(
  {
    ...common('Mixpanel', 1000, 2000),
    url: Type.String({ minLength: 1, default: 'https://api.mixpanel.com', description: 'Mixpanel API host (events go to <url>/import?strict=1); api-eu.mixpanel.com for EU residency.' }),
    secret: Type.String({ minLength: 1, description: 'Project API secret, or a service account secret with `username`; use "${MIXPANEL_SECRET}".' }),
    username: Type.String({ default: '', description: 'Service account user name; empty: `secret` is the project API secret.' }),
    projectId: Type.String({ default: '', description: 'Project id (required with a service account).' }),
    token: Type.String({ default: '', description: 'Project token, added to every event\'s properties when set.' }),
  },
  { description: 'A Mixpanel project (Import API).' },
);

const AmplitudeDestination = Strict(
  {
    ...common('Amplitude', 1000, 2000),
    url: Type.String({ minLength: 1, default: 'https://api2.amplitude.com', description: 'Amplitude host (events go to <url>/2/httpapi); api.eu.amplitude.com for EU residency.' }),
    apiKey: Type.String({ minLength: 1, description: 'Project API key; use "${AMPLITUDE_API_KEY}".' }),
    minIdLength: Type.Integer({ minimum: 0, default: 0, description: 'options.min_id_length sent with each batch (0: Amplitude\'s default of 5).' }),
  },
  { description: 'An Amplitude project (HTTP V2 API).' },
);

const WebhookDestination = Strict(
  {
    ...common('a webhook', 100, 10_000),
    url: Type.String({ minLength: 1, description: 'URL batches are POSTed to (a JSON array of events).' }),
    secret: Type.String({ minLength: 1, description: 'HMAC-SHA256 key of X-Gatehouse-Signature; use "${WEBHOOK_SECRET}".' }),
    headers: Type.Record(Type.String(), Type.String(), { default: {}, description: 'More request headers (e.g. Authorization).' }),
  },
  { description: 'A generic webhook.' },
);

export const DestinationsConfig = Section(
  {
    posthog: Type.Array(PostHogDestination, { default: [], description: 'PostHog projects.' }),
    mixpanel: Type.Array(MixpanelDestination, { default: [], description: 'Mixpanel projects.' }),
    amplitude: Type.Array(AmplitudeDestination, { default: [], description: 'Amplitude projects.' }),
    webhooks: Type.Array(WebhookDestination, { default: [], description: 'Webhooks.' }),
    durablePrefix: Type.String({
      default: 'gatehouse-dest-',
      pattern: '^[A-Za-z0-9_-]*$',
      description: 'With NATS: durable consumer names are <prefix><name>, one per destination.',
    }),
    dir: Type.String({ default: '', description: 'Embedded mode: per-destination spools and dead-letter files (empty: <spool.dir>/destinations).' }),
    spoolMaxBytes: Size('256MiB', {
      description: 'Embedded mode: most bytes a destination may fall behind; past it, events for it go to its dead-letter file (storage is never held back).',
    }),
  },
  { description: 'Forwarding stored events to analytics vendors and webhooks, each destination independently.' },
);

export type DestinationsConfig = StaticDecode<typeof DestinationsConfig>;
export type PostHogDestinationConfig = StaticDecode<typeof PostHogDestination>;
export type MixpanelDestinationConfig = StaticDecode<typeof MixpanelDestination>;
export type AmplitudeDestinationConfig = StaticDecode<typeof AmplitudeDestination>;
export type WebhookDestinationConfig = StaticDecode<typeof WebhookDestination>;
export type RoutingRule = StaticDecode<typeof Rule>;
export type MappingConfig = StaticDecode<typeof Mapping>;
