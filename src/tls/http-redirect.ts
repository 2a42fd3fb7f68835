import type { HstsConfig, TlsConfig } from './config.js';
import { stripPort } from './challenges.js';

/** Where HTTP-01 challenges are fetched (RFC 8555 §8.3). */
export const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

// Tokens are base64url (RFC 8555 §8.1); anything else is not a challenge and must not reach the token lookup.
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
// A Host header: a name or an IPv4 address, or an IPv6 literal in brackets, then an optional port. Nothing else may
// reach a Location header.
const HOST = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+)(:\d{1,5})?$/;

/** The token of a challenge path, or undefined. */
export function acmeChallengeToken(path: string): string | undefined {
  if (!path.startsWith(ACME_CHALLENGE_PREFIX)) return undefined;
  const token = path.slice(ACME_CHALLENGE_PREFIX.length);
  return TOKEN.test(token) ? token : undefined;
}

export function isAcmeChallengePath(path: string): boolean {
  return acmeChallengeToken(path) !== undefined;
}

/** What the plain-HTTP listener does with a request. */
export type PlainHttpDecision =
  | { action: 'challenge'; token: string } // answer with challengeResponse(token, host), or 404
  | { action: 'redirect'; status: 308; location: string }
  | { action: 'pass' } // serve it over plain HTTP as usual
  | { action: 'reject'; code: 'BAD_REQUEST' | 'MISDIRECTED_REQUEST'; reason: string };

export interface PlainHttpRequest {
  method: string;
  host: string | undefined;
  /** The request target: path and query, as received. */
  url: string;
}

export type RedirectConfig = Pick<
  TlsConfig,
  'enabled' | 'redirectHttp' | 'redirectExceptions' | 'publicPort' | 'listen' | 'certificates' | 'acme' | 'defaultName'
>;

/**
 * Decides a plain-HTTP request. Challenges are answered before anything else (the CA only speaks HTTP on port 80),
 * then everything outside `redirectExceptions` goes to HTTPS with 308, which keeps the method and body, unlike 301.
 */
export function decidePlainHttp(request: PlainHttpRequest, config: RedirectConfig): PlainHttpDecision {
  if (!config.enabled) return { action: 'pass' };
  const path = pathOf(request.url);
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD') {
    const token = acmeChallengeToken(path);
    if (token) return { action: 'challenge', token };
  }
  if (!config.redirectHttp || config.redirectExceptions.some((prefix) => underPrefix(path, prefix))) {
    return { action: 'pass' };
  }
  if (!request.url.startsWith('/')) return { action: 'reject', code: 'BAD_REQUEST', reason: 'request target is not a path' };
  if (!request.host || !HOST.test(request.host)) return { action: 'reject', code: 'BAD_REQUEST', reason: 'missing or invalid Host' };
  // Only to a name this server has a certificate for: a Location built from any Host would send the client (and
  // its request body, with 308) wherever the Host header said. An unknown name goes to tls.defaultName, else 421.
  const name = redirectName(stripPort(request.host).toLowerCase().replace(/\.$/, ''), config);
  if (!name) return { action: 'reject', code: 'MISDIRECTED_REQUEST', reason: 'this server has no HTTPS site for that Host' };
  const port = config.publicPort || config.listen.port;
  const authority = port === 443 ? name : `${name}:${port}`;
  return { action: 'redirect', status: 308, location: `https://${authority}${request.url}` };
}

/** `host` when a certificate name covers it (exact, or "*.example.com" one label up), else the default name. */
function redirectName(host: string, config: RedirectConfig): string | undefined {
  const names = configuredNames(config);
  const dot = host.indexOf('.');
  if (names.has(host) || (dot > 0 && names.has(`*${host.slice(dot)}`))) return host;
  return config.defaultName ? config.defaultName.toLowerCase() : undefined;
}

const namesOf = new WeakMap<RedirectConfig, ReadonlySet<string>>();

/** The names of tls.certificates and acme.domains, once per (frozen) config. */
function configuredNames(config: RedirectConfig): ReadonlySet<string> {
  let names = namesOf.get(config);
  if (!names) {
    const all = [...config.certificates.flatMap((c) => c.names), ...(config.acme.enabled ? config.acme.domains : [])];
    names = new Set(all.map((n) => n.toLowerCase()));
    namesOf.set(config, names);
  }
  return names;
}

/** The Strict-Transport-Security value (RFC 6797 §6.1), or undefined when HSTS is off. */
export function hstsHeader(hsts: HstsConfig): string | undefined {
  if (!hsts.enabled) return undefined;
  const parts = [`max-age=${Math.floor(hsts.maxAge / 1000)}`];
  if (hsts.includeSubDomains) parts.push('includeSubDomains');
  if (hsts.preload) parts.push('preload');
  return parts.join('; ');
}

function pathOf(url: string): string {
  const q = url.search(/[?#]/);
  return q === -1 ? url : url.slice(0, q);
}

/** Whole path segments: "/api" covers "/api" and "/api/x", not "/apix"; a prefix ending in "/" covers what follows it. */
function underPrefix(path: string, prefix: string): boolean {
  if (prefix.endsWith('/')) return path.startsWith(prefix);
  return path === prefix || path.startsWith(`${prefix}/`);
}
