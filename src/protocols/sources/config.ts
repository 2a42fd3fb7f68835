import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section, Strict } from '../../config/types.js';

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

/** Who may post to a source. `tokens` are secrets: write them as "${ENV_NAME}". */
export const SourceAuth = Strict(
  {
    type: Type.Union([Type.Literal('none'), Type.Literal('bearer'), Type.Literal('basic'), Type.Literal('header')], {
      description:
        'none: anyone may post; bearer: "Authorization: Bearer <token>"; basic: HTTP basic auth, each token "user:password"; header: the header named by `header` carries a token.',
    }),
    header: Type.String({ default: '', description: 'With type "header": the header that carries the token (e.g. "X-Webhook-Token").' }),
    tokens: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Accepted tokens; use "${SOURCE_TOKEN}". Empty with a type other than "none": every request answers 401.',
    }),
  },
  { description: 'Authentication of a source.' },
);

/** A mapping rule: where an event field's value comes from, and how it is read. */
const FieldRule = Type.Union(
  [
    Type.String({ minLength: 1, description: 'Path of the value in the sender\'s JSON ("userId", "context.page.url", "event.type").' }),
    Strict(
      {
        from: Type.Optional(
          Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
            description: 'Path, or paths tried in order (the first present wins; for "params" every object found is merged).',
          }),
        ),
        value: Type.Optional(Scalar),
        default: Type.Optional(Scalar),
        lookup: Type.Optional(Type.Record(Type.String(), Scalar, { description: 'Sent value → stored value ({"$identify": "identify"}).' })),
        otherwise: Type.Optional(Scalar),
        required: Type.Optional(Type.Boolean({ description: 'A missing value is a 400 naming the field.' })),
        unit: Type.Optional(
          Type.Union([Type.Literal('ms'), Type.Literal('s'), Type.Literal('us')], { description: 'For "created": the unit of epoch numbers (default ms).' }),
        ),
      },
      {
        description:
          'from: path(s); value: a constant; default: used when the path is missing; lookup: a table of values, `otherwise` for values not in it; required; unit.',
      },
    ),
  ],
  { description: 'A path in the sender\'s JSON, or a rule object.' },
);

const SourceReply = Strict(
  {
    status: Type.Union([Type.Literal(200), Type.Literal(201), Type.Literal(202), Type.Literal(204)], { default: 200, description: 'Status of a success.' }),
    body: Type.Optional(Type.Unknown({ description: 'JSON body of a success; default {"accepted": <events stored>}.' })),
  },
  { description: 'The answer once the events are durable.' },
);

/** One configured source: a path, who may post to it, and how its JSON becomes events. */
export const SourceConfig = Strict(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'Unique name (metrics label `route="source:<name>"`, logs).' }),
    path: Type.String({
      pattern: '^/[^?#]*$',
      description: 'Route path; ":name" segments are path parameters, read in the mapping as "$path.name" ("/hooks/:tenant").',
    }),
    methods: Type.Array(Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH')]), {
      default: ['POST'],
      minItems: 1,
      description: 'HTTP methods served.',
    }),
    auth: SourceAuth,
    batch: Type.String({
      default: 'auto',
      minLength: 1,
      description:
        '"auto": a JSON array is one event per element, an object one event; "none": one object, one event; otherwise the path of the array of events ("events", "data.items"; "$root.x" in the mapping reads the envelope).',
    }),
    map: Type.Record(Type.String({ minLength: 1 }), FieldRule, {
      default: {},
      description:
        'Event field → rule. Fields: eid, vid, sid, uid, did, ename, etyp, url, last, created, source, medium, campaign, ... (see /tr/v1/), email/cell/uname (hashed), "params" (an object merged into params) and "params.<key>".',
    }),
    unmapped: Type.Union([Type.Literal('params'), Type.Literal('drop')], {
      default: 'params',
      description: 'What becomes of top-level fields no rule read: "params" keeps them (objects as JSON), "drop" leaves them in `raw` only.',
    }),
    reply: Type.Optional(SourceReply),
  },
  { description: 'A JSON sender mapped onto Gatehouse events without code.' },
);

const presetAuth = (auth: Record<string, unknown>) => ({ ...SourceAuth, default: auth });

export const VectorPresetConfig = Section(
  {
    enabled: Type.Boolean({ default: false, description: 'Serve the Vector events router\'s POST /collect ({event, userId, timestamp, properties, traits}).' }),
    path: Type.String({ default: '/collect', pattern: '^/', description: 'Path of the collect endpoint.' }),
    auth: presetAuth({ type: 'none' }),
  },
  { description: 'The Vector events router\'s ingestion API, as a configured source.' },
);

export const EventkitPresetConfig = Section(
  {
    enabled: Type.Boolean({ default: false, description: 'Serve eventkit\'s POST /collect/{stream} and its Segment-style /v1/identify, /v1/track, /v1/page.' }),
    collectPath: Type.String({ default: '/collect', pattern: '^/', description: 'Collect path (also served with a /{stream} segment).' }),
    prefix: Type.String({ default: '/v1', pattern: '^/', description: 'Prefix of the Segment-style routes: <prefix>/identify, /track, /page.' }),
    auth: presetAuth({ type: 'none' }),
  },
  { description: 'eventkit\'s ingestion API, as configured sources.' },
);

export const ProductGraphPresetConfig = Section(
  {
    enabled: Type.Boolean({ default: false, description: 'Serve ProductGraph\'s POST /v1/events (OpenTelemetry-style dotted attributes).' }),
    path: Type.String({ default: '/v1/events', pattern: '^/', description: 'Path of the events endpoint.' }),
    auth: presetAuth({ type: 'header', header: 'X-PG-API-Key' }),
  },
  { description: 'ProductGraph\'s event ingestion API, as a configured source. Its API key travels in X-PG-API-Key: list them in auth.tokens.' },
);

export const SourcesConfig = Type.Array(SourceConfig, {
  default: [],
  description: 'Configured sources: any JSON sender (a SaaS webhook, another tracker) mapped onto events. See docs/sources.md.',
});

export type SourceConfig = StaticDecode<typeof SourceConfig>;
export type SourceAuth = StaticDecode<typeof SourceAuth>;
export type FieldRule = StaticDecode<typeof FieldRule>;
export type VectorPresetConfig = StaticDecode<typeof VectorPresetConfig>;
export type EventkitPresetConfig = StaticDecode<typeof EventkitPresetConfig>;
export type ProductGraphPresetConfig = StaticDecode<typeof ProductGraphPresetConfig>;
