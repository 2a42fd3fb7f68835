import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section, Strict } from '../config/types.js';
import { ProxyTimeouts } from '../proxy/config.js';
import { GOAL_FIELDS } from './counts.js';

/** Experiment and variant names: they travel in a header, a cookie and event fields, so they are plain tokens. */
export const NAME_PATTERN = '^[A-Za-z0-9_-]{1,40}$';
/** An ISO 8601 time with a zone ("2026-12-01T00:00:00Z"). */
const ISO_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$';
const HOST_PATTERN = '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$';

export const ExperimentVariant = Strict(
  {
    name: Type.String({ pattern: NAME_PATTERN, description: 'Variant name, sent to the upstream and stored as `split`. The first variant is the control.' }),
    weight: Type.Number({
      minimum: 0,
      maximum: 100,
      description: 'Share of units, in percent (rounded to two decimals); the weights of an experiment add up to 100. Ramping a variant up never moves units already in it.',
    }),
    upstream: Type.Optional(
      Type.String({
        pattern: '^https?://[^/?#]+/?$',
        description: 'Send this variant\'s requests (HTTP, not WebSocket) to this backend origin instead of the route\'s own (a new backend, or a canary). Omitted: served as usual.',
      }),
    ),
    rewrite: Type.Optional(
      Strict(
        {
          from: Type.String({ pattern: '^/', description: 'Path prefix to replace ("/pricing").' }),
          to: Type.String({ pattern: '^/', description: 'Its replacement ("/pricing-v2"): another page on `upstream`.' }),
        },
        { description: 'Rewrite the path prefix of this variant\'s requests (needs `upstream`).' },
      ),
    ),
  },
  { description: 'One arm of an experiment.' },
);

export const ExperimentGoal = Strict(
  {
    name: Type.String({ pattern: NAME_PATTERN, description: 'Name of the goal in results.' }),
    ename: Type.String({ minLength: 1, maxLength: 200, description: 'Event name (`ename`) that counts as a conversion.' }),
    field: Type.Optional(
      Type.Union(
        GOAL_FIELDS.map((f) => Type.Literal(f)),
        { description: 'Optional event field that must also match: one of etyp, url, outcome, sink, app, rel, ptyp, content, campaign, source, medium, aff, rcode, host, channel.' },
      ),
    ),
    equals: Type.Optional(Type.String({ maxLength: 500, description: 'Value `field` must equal; required with `field`.' })),
  },
  { description: 'A conversion: a unit converts when, after its exposure, it sends an event matching this.' },
);

export const Experiment = Strict(
  {
    name: Type.String({ pattern: NAME_PATTERN, description: 'Experiment name: stored as `xid`, the key in the header and cookie, and the default hash salt.' }),
    enabled: Type.Boolean({ default: true, description: 'Assign and record. Off: requests are not assigned (the application sees no header for it).' }),
    hosts: Type.Array(Type.String({ pattern: HOST_PATTERN }), {
      default: [],
      description: 'Hosts the experiment applies to: exact names or one-label wildcards ("*.example.com"). Empty: any host.',
    }),
    paths: Type.Array(Type.String({ pattern: '^/', maxLength: 500 }), {
      minItems: 1,
      description: 'Path patterns: "/checkout" (exactly), "/checkout/*" (the prefix and everything under it).',
    }),
    unit: Type.Union([Type.Literal('vid'), Type.Literal('uid'), Type.Literal('sid')], {
      default: 'vid',
      description: 'What is randomized: the visitor, the user (the `experiments.userCookie` cookie; the visitor until it is set) or the session.',
    }),
    variants: Type.Array(ExperimentVariant, { minItems: 2, maxItems: 20, description: 'The variants; the first is the control.' }),
    salt: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Hash salt. Default: the name. Change it to reshuffle every unit.' })),
    start: Type.Optional(Type.String({ pattern: ISO_TIME, description: 'Assign from this time (ISO 8601). Omitted: now.' })),
    end: Type.Optional(Type.String({ pattern: ISO_TIME, description: 'Stop assigning at this time (ISO 8601). Omitted: no end.' })),
    goals: Type.Array(ExperimentGoal, { default: [], description: 'Conversions the results count per variant.' }),
  },
  { description: 'One A/B (or A/B/n) experiment.' },
);

export const ExperimentsConfig = Section(
  {
    list: Type.Array(Experiment, { default: [], description: 'The experiments. Two enabled experiments may not share a host and path.' }),
    allowOverride: Type.Boolean({
      default: false,
      description: 'Honour `?gh_variant=experiment:variant` (QA). Overridden units are recorded as such and left out of results.',
    }),
    header: Type.String({
      default: 'gatehouse-experiments',
      pattern: '^[a-z0-9-]{1,64}$',
      description: 'Request header that tells the upstream the assignments ("checkout=b; pricing=control"). A client-sent one is removed.',
    }),
    cookie: Type.String({
      default: 'gh_exp',
      pattern: '^[A-Za-z0-9_-]{1,64}$',
      description: 'Cookie (readable by scripts, for `gatehouse.variant(name)`) with the assignments; not set in cookieless mode.',
    }),
    timeouts: { ...ProxyTimeouts, description: 'Timeouts of the variants\' own upstreams (as a proxy route\'s).' },
    userCookie: Type.String({ default: 'gh_uid', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Cookie holding the user id, for experiments whose unit is `uid`.' }),
  },
  { description: 'Experiments at the edge: assignment, delivery to the upstream, exposure events and results. See docs/experiments.md.' },
);

export type ExperimentVariant = StaticDecode<typeof ExperimentVariant>;
export type ExperimentGoal = StaticDecode<typeof ExperimentGoal>;
export type Experiment = StaticDecode<typeof Experiment>;
export type ExperimentsConfig = StaticDecode<typeof ExperimentsConfig>;
