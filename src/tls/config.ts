import { Type, type StaticDecode } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Section, Strict, Duration, Port, Host } from '../config/types.js';
import { ConfigError, type ConfigIssue } from '../config/errors.js';

/** LetsEncrypt's directories. Staging issues untrusted certificates under far higher rate limits: try a setup there first. */
export const LETSENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETSENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

// A DNS name as it may appear in a certificate; a leading "*." is allowed for static certificates only (see cross-checks).
const HOSTNAME = '^(\\*\\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$';
const Hostname = Type.String({ pattern: HOSTNAME, maxLength: 253 });

export const StaticCertificate = Strict(
  {
    names: Type.Array(Hostname, {
      minItems: 1,
      description: 'Host names (SNI) this certificate is served for; "*.example.com" matches one label.',
    }),
    cert: Type.String({ minLength: 1, description: 'Path of the PEM certificate chain, leaf first.' }),
    key: Type.String({ minLength: 1, description: 'Path of the PEM private key of the leaf certificate.' }),
  },
  { description: 'A certificate read from files, chosen by SNI.' },
);

export const AcmeRetryConfig = Section(
  {
    minDelay: Duration('1m', { description: 'Wait after the first failed issuance before trying again.' }),
    maxDelay: Duration('6h', { description: 'Longest wait between attempts; the wait doubles after each failure up to this.' }),
  },
  { description: 'Backoff after a failed issuance or renewal (the process keeps serving the old certificate meanwhile).' },
);

export const OnDemandConfig = Section(
  {
    enabled: Type.Boolean({
      default: false,
      description:
        'Obtain a certificate at the first TLS handshake for a name outside acme.domains (customers\' own domains), when `ask` allows it.',
    }),
    ask: Type.String({
      default: '',
      pattern: '^(https?://.+)?$',
      description:
        'URL asked before any order: GET <ask>?domain=<name>; a 2xx answer allows the name, anything else (or no answer) refuses it. Required with enabled.',
    }),
    askTimeout: Duration('5s', { description: 'Longest wait for the ask URL; past it the name is refused.' }),
    refusalTtl: Duration('10m', { description: 'How long a refused name is refused again without asking (bounds the ask calls of a flood of names).' }),
    refusalCacheSize: Type.Integer({ minimum: 1, default: 10000, description: 'Most refused names remembered; the oldest are forgotten first.' }),
    maxOrders: Type.Integer({ minimum: 1, default: 10, description: 'Most on-demand orders started per `ordersWindow`; past it a new name is refused until the window moves on.' }),
    ordersWindow: Duration('1m', { description: 'The window of maxOrders.' }),
    handshakeWait: Duration('30s', {
      description: 'How long a handshake for a name being ordered waits for the certificate; past it that handshake fails and the order goes on for the next one.',
    }),
  },
  {
    description:
      'On-demand TLS (as Caddy\'s on_demand_tls): certificates for names only known at the handshake, each allowed by the operator\'s ask URL, with orders rate-limited.',
  },
);

export const AcmeConfig = Section(
  {
    enabled: Type.Boolean({ default: false, description: 'Obtain and renew certificates automatically over ACME HTTP-01.' }),
    email: Type.String({
      default: '',
      description: 'Contact address of the ACME account (expiry notices). Required with enabled.',
    }),
    acceptTermsOfService: Type.Boolean({
      default: false,
      description: "Agree to the CA's terms of service (LetsEncrypt refuses accounts without it). Required with enabled.",
    }),
    directoryUrl: Type.String({
      default: LETSENCRYPT_PRODUCTION,
      pattern: '^https://',
      description: `ACME directory of the CA. LetsEncrypt staging (for trials, untrusted certificates): ${LETSENCRYPT_STAGING}`,
    }),
    domains: Type.Array(Hostname, {
      default: [],
      description:
        'The only names certificates are requested for (one certificate each). ' +
        'A request for any other Host never triggers an order.',
    }),
    dir: Type.String({
      default: 'data/acme',
      minLength: 1,
      description: 'Where the account key and issued certificates are kept (files mode 0600), one folder per CA directory.',
    }),
    renewBefore: Duration('30d', { description: 'Renew a certificate when less than this remains before it expires.' }),
    checkInterval: Duration('12h', { description: 'How often expiry dates are checked.' }),
    requestTimeout: Duration('30s', { description: 'Longest wait for one response of the ACME server.' }),
    caBundle: Type.String({
      default: '',
      description:
        "PEM file of CAs trusted for the ACME server's own HTTPS (a private CA such as pebble). Empty: the system's trust store.",
    }),
    retry: AcmeRetryConfig,
    onDemand: OnDemandConfig,
  },
  { description: 'Automatic certificates (RFC 8555) over HTTP-01: the plain-HTTP listener must be reachable on port 80.' },
);

export const HstsConfig = Section(
  {
    enabled: Type.Boolean({ default: false, description: 'Send Strict-Transport-Security on HTTPS responses.' }),
    maxAge: Duration('180d', { description: 'How long browsers must use HTTPS only (max-age).' }),
    includeSubDomains: Type.Boolean({ default: false, description: 'Apply to every subdomain as well.' }),
    preload: Type.Boolean({
      default: false,
      description: 'Ask for inclusion in browser preload lists (needs includeSubDomains and maxAge of at least 365d).',
    }),
  },
  { description: 'HTTP Strict Transport Security (RFC 6797).' },
);

export const TlsConfig = Section(
  {
    enabled: Type.Boolean({ default: false, description: 'Serve HTTPS.' }),
    listen: Section(
      {
        host: Host('0.0.0.0', { description: 'Address of the HTTPS listener.' }),
        port: Port(8443, { description: 'Port of the HTTPS listener (0 picks a free port).' }),
      },
      { description: 'Where the HTTPS listener accepts connections.' },
    ),
    publicPort: Port(0, {
      description: 'HTTPS port clients reach (behind port forwarding), used in redirects. 0: listen.port.',
    }),
    defaultName: Type.String({
      default: '',
      description: 'Name whose certificate answers an unknown SNI name. Empty: such handshakes fail.',
    }),
    certificates: Type.Array(StaticCertificate, { default: [], description: 'Certificates read from files.' }),
    certificateCheckInterval: Duration('1m', {
      description:
        'How often the files of tls.certificates are checked. A changed pair is loaded and used by the next handshake, with no restart; one that does not load, does not cover its names or has expired is logged and the old certificate kept.',
    }),
    acme: AcmeConfig,
    redirectHttp: Type.Boolean({
      default: true,
      description: 'Answer plain-HTTP requests with 308 to HTTPS, except ACME challenges and redirectExceptions.',
    }),
    redirectExceptions: Type.Array(Type.String({ pattern: '^/' }), {
      default: [],
      description:
        'Path prefixes still served over plain HTTP when redirectHttp is on. ' +
        'Whole segments: "/api" covers "/api" and "/api/x", not "/apix"; "/files/" covers what follows it.',
    }),
    hsts: HstsConfig,
    http2: Type.Boolean({ default: true, description: 'Offer HTTP/2 by ALPN, with HTTP/1.1 for older clients.' }),
  },
  { description: 'HTTPS: static certificates by SNI and automatic ACME certificates.' },
);

export type StaticCertificate = StaticDecode<typeof StaticCertificate>;
export type AcmeConfig = StaticDecode<typeof AcmeConfig>;
export type OnDemandConfig = StaticDecode<typeof OnDemandConfig>;
export type HstsConfig = StaticDecode<typeof HstsConfig>;
export type TlsConfig = StaticDecode<typeof TlsConfig>;

/**
 * Validates and decodes the TLS slice alone (defaults applied, durations in ms). The gateway validates the whole file
 * with the config loader; this serves tests and tools that only need this slice.
 */
export function decodeTlsConfig(raw: unknown): TlsConfig {
  const withDefaults = Value.Default(TlsConfig, Value.Clone(raw ?? {}));
  const issues: ConfigIssue[] = [...Value.Errors(TlsConfig, withDefaults)].map((e) => ({
    path: `/tls${e.path}`,
    message: e.message,
    value: e.value,
  }));
  if (issues.length > 0) throw new ConfigError('tls', issues);
  return Value.Decode(TlsConfig, withDefaults);
}
