import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { RateLimitRule } from './config.js';

// A path is part of a key only up to this length, so a client cannot make keys arbitrarily large.
const MAX_PATH = 256;

/** Who a request counts against under `rule.key`. `ip` is the client IP resolved through trusted proxies. */
export function limitKey(rule: Pick<RateLimitRule, 'key'>, request: FastifyRequest, ip: string): string {
  switch (rule.key) {
    case 'ip':
      return ip;
    case 'ip+path': {
      const url = request.url;
      const q = url.indexOf('?');
      return `${ip}|${(q < 0 ? url : url.slice(0, q)).slice(0, MAX_PATH)}`;
    }
    case 'apiKey': {
      const key = apiKeyOf(request);
      // Hashed: a key must not sit in Redis or in memory dumps in clear. Without a key the IP is the client.
      return key ? `k:${createHash('sha256').update(key).digest('hex').slice(0, 32)}` : ip;
    }
  }
}

/** The key as the server-event route reads it: `X-Api-Key`, else `Authorization: Bearer`. */
function apiKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = request.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}
