import type { FastifyReply, FastifyRequest } from 'fastify';

export interface CorsPolicy {
  readonly allowOrigins: readonly string[];
  /** Milliseconds (decoded from the config duration). */
  readonly maxAge: number;
}

/**
 * CORS for the tracking routes. Listed origins are echoed with credentials (cookies); "*" allows any origin
 * but without credentials, as the Fetch standard requires.
 */
export function applyCors(policy: CorsPolicy, request: FastifyRequest, reply: FastifyReply): boolean {
  const origin = request.headers.origin;
  if (!origin) return false;
  reply.header('vary', 'Origin');
  if (policy.allowOrigins.includes(origin)) {
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    return true;
  }
  if (policy.allowOrigins.includes('*')) {
    reply.header('access-control-allow-origin', '*');
    return true;
  }
  return false;
}

export function preflight(policy: CorsPolicy, request: FastifyRequest, reply: FastifyReply): void {
  if (applyCors(policy, request, reply)) {
    reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
    // The upstream tracker's client always sends Authorization (its "Bearer null"), and upstream allowed Accept, User.
    reply.header('access-control-allow-headers', 'Content-Type, Authorization, Accept, User');
    reply.header('access-control-max-age', String(Math.floor(policy.maxAge / 1000)));
  }
  reply.code(204).send();
}
