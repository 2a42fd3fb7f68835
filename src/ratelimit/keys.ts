import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ipFamily, ipv6Groups } from '../track/enrich/ip.js';
import type { RateLimitRule } from './config.js';

/**
 * Who a request counts against under `rule.key`. `ip` is the client IP resolved through trusted proxies; an IPv6
 * client is its network of `ipv6Prefix` bits (/64 by default): one subscriber or host is usually given a whole
 * /64 (RFC 6177), so 400 addresses from it are one client, not 400.
 */
export function limitKey(rule: Pick<RateLimitRule, 'key'>, request: FastifyRequest, ip: string, ipv6Prefix = 64): string {
  const client = clientOf(ip, ipv6Prefix);
  switch (rule.key) {
    case 'ip':
      return client;
    case 'ip+path':
      // The matched route pattern ("/tr/v1/*", "/api/*"), never the raw path: REST-tuple paths, query strings,
      // trailing slashes and percent-encoding variants would each make a new key (a fresh allowance per request).
      // A route's bare prefix and its wildcard ("/tr/v1/" and "/tr/v1/*") are one route.
      return `${client}|${routeOf(request)}`;
    case 'apiKey': {
      const key = apiKeyOf(request);
      // Hashed: a key must not sit in Redis or in memory dumps in clear. Without a key the IP is the client.
      return key ? `k:${createHash('sha256').update(key).digest('hex').slice(0, 32)}` : client;
    }
  }
}

function routeOf(request: FastifyRequest): string {
  const pattern = request.routeOptions.url;
  return pattern === undefined ? (request.routeOptions.config?.routeClass ?? '') : pattern.replace(/\/?\*?$/, '') || '/';
}

/** An IPv4 address as is; an IPv6 address as "network/prefix". */
export function clientOf(ip: string, ipv6Prefix: number): string {
  if (!ip.includes(':') || ipFamily(ip) === 'ipv4' || ipv6Prefix >= 128) return ip;
  const groups = ipv6Groups(ip);
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return ip;
  const masked = groups.map((g, i) => {
    const bits = Math.min(16, Math.max(0, ipv6Prefix - i * 16));
    return bits === 0 ? 0 : g & (0xffff << (16 - bits)) & 0xffff;
  });
  return `${masked.map((g) => g.toString(16)).join(':')}/${ipv6Prefix}`;
}

/** The key as the server-event route reads it: `X-Api-Key`, else `Authorization: Bearer`. */
function apiKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = request.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}
