import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section, Strict, Duration, Size } from '../config/types.js';

const Prefix = (def: string, description: string) =>
  Type.String({ default: def, pattern: '^(/[A-Za-z0-9._~-]+)+$', description });

const PrivacyAction = (def: string, description: string) =>
  Type.Union([Type.Literal('ignore'), Type.Literal('anonymize'), Type.Literal('drop')], { default: def, description });

/** An RFC 6265 cookie name (an RFC 9110 token) and domain (a host name, optionally with a leading dot). */
const COOKIE_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
const COOKIE_DOMAIN = '^$|^\\.?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$';

export const TrackingConfig = Section(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve the tracking routes.' }),
    routes: Section(
      {
        track: Prefix('/tr/v1', 'Events: GET query, POST JSON (object or array), REST path tuples.'),
        server: Prefix('/str/v1', 'Server-side events, authenticated with an API key header.'),
        pixel: Prefix('/img/v1', '1x1 transparent GIF that records an email open.'),
        redirect: Prefix('/rdr/v1', 'Tracked redirect: records, then 302 to an allowed or signed destination.'),
        ltv: Prefix('/tlv/v1', 'Payments (lifetime value), as the upstream tracker took them: POST JSON, one event per payment.'),
        current: Type.String({
          default: '/tr/v1',
          pattern: '^(/[A-Za-z0-9._~-]+)*$',
          description:
            'Base of the upstream tracker\'s current route layout, served next to the prefixes above: `<base>/tr/`, `<base>/img/`, `<base>/rdr/`, `<base>/str/`, `<base>/ltv/`. "" turns that layout off.',
        }),
        shortLinks: Type.String({
          default: '/',
          pattern: '^/([A-Za-z0-9._~-]+/)*$',
          description: 'Prefix under which `GET <prefix><slug>` resolves short links ("/" for the site root).',
        }),
      },
      { description: 'Path prefixes of the tracking routes (upstream "tracker" v1 paths by default).' },
    ),
    apiKeys: Type.Array(
      Strict(
        {
          name: Type.String({ minLength: 1, description: 'Who holds the key (logged instead of the key).' }),
          key: Type.String({ minLength: 16, description: 'The key; use "${ENV_NAME}". Sent in the X-Api-Key header.' }),
        },
        { description: 'An API key for server-side events.' },
      ),
      { default: [], description: 'Keys accepted by the server-side event route. Empty: the route answers 401.' },
    ),
    redirects: Section(
      {
        allowHosts: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description: 'Hosts a tracked redirect may send to; "*.example.com" also allows subdomains.',
        }),
        signingKey: Type.String({
          default: '',
          description: 'HMAC key for signed links (`gatehouse links sign URL`); any destination is allowed with a valid signature.',
        }),
      },
      { description: 'Tracked redirects: only to allowlisted hosts or signed destinations (no open redirect).' },
    ),
    cookies: Section(
      {
        mode: Type.Union([Type.Literal('cookies'), Type.Literal('cookieless')], {
          default: 'cookies',
          description: 'cookies: first-party vid/sid cookies; cookieless: no cookies, visitor = daily-rotating salted hash.',
        }),
        // Checked here as RFC 6265 does (token names, host-name domains): a value the cookie serializer refuses
        // would otherwise fail every tracking request.
        visitorName: Type.String({ default: 'vid', pattern: COOKIE_NAME, description: 'Name of the long-lived visitor cookie.' }),
        sessionName: Type.String({ default: 'sid', pattern: COOKIE_NAME, description: 'Name of the session cookie.' }),
        domain: Type.String({ default: '', pattern: COOKIE_DOMAIN, description: 'Cookie domain (empty: the request host only).' }),
        visitorMaxAge: Duration('365d', { description: 'Lifetime of the visitor cookie.' }),
        sessionTimeout: Duration('30m', { description: 'Inactivity after which a new session starts.' }),
      },
      { description: 'First-party visitor and session identification.' },
    ),
    privacy: Section(
      {
        gpc: PrivacyAction('anonymize', 'What to do with events sent with `Sec-GPC: 1`.'),
        dnt: PrivacyAction('ignore', 'What to do with events sent with `DNT: 1`.'),
      },
      { description: 'Honouring browser privacy signals. anonymize: no cookies, no IP, no ids; drop: record nothing.' },
    ),
    cors: Section(
      {
        allowOrigins: Type.Array(Type.String({ pattern: '^(\\*|https?://[^/]+)$' }), {
          default: [],
          description: 'Origins allowed to send events from a browser, echoed with credentials (cookies). "*" echoes any origin, with credentials, on the tracking and protocol routes only (docs/compatibility.md).',
        }),
        maxAge: Duration('1h', { description: 'How long browsers may cache a preflight answer.' }),
      },
      { description: 'Cross-origin requests to the tracking routes.' },
    ),
    limits: Section(
      {
        maxBatch: Type.Integer({ minimum: 1, default: 100, description: 'Most events in one POST.' }),
        maxParams: Type.Integer({ minimum: 0, default: 50, description: 'Most entries in `params`.' }),
        maxValueLength: Type.Integer({ minimum: 16, default: 2048, description: 'Longest string value, in characters.' }),
        bodyLimit: Size('256KB', { description: 'Largest tracking POST body; larger bodies get 413.' }),
      },
      { description: 'Bounds on what one request may carry.' },
    ),
    pageViews: Section(
      {
        enabled: Type.Boolean({ default: false, description: 'Record page views of proxied and static traffic server-side.' }),
        match: Type.Array(Type.String(), {
          default: ['text/html'],
          description: 'Response content types (prefixes) that count as a page view.',
        }),
      },
      { description: 'Server-side page views, counted without any client script.' },
    ),
  },
  { description: 'The tracking surface: events, pixels, redirects, short links.' },
);

export type TrackingConfig = StaticDecode<typeof TrackingConfig>;
