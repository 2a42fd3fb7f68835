import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from './errors.js';

/**
 * Bearer-token check for the admin API. With no token configured the admin listener is only allowed on
 * loopback (enforced by the config checks), so an empty token means "local only", not "open".
 */
export function adminAuth(token: string) {
  const expected = token ? createHash('sha256').update(token).digest() : undefined;
  return async (request: FastifyRequest): Promise<void> => {
    if (!expected) return;
    const auth = request.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? createHash('sha256').update(auth.slice(7)).digest() : undefined;
    if (!given || !timingSafeEqual(expected, given)) throw unauthorized('a valid bearer token is required');
  };
}
