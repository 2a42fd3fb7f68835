import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface CorsPolicy {
  readonly allowOrigins: readonly string[];
  /** Milliseconds (decoded from the config duration). */
  readonly maxAge: number;
}

/**
 * Request headers the tracking SDKs send: Segment's analytics-next puts the write key in `Authorization:
 * Basic` (and `X-Retry-Count` on retries), the upstream tracker's client always sends `Authorization`,
 * `Accept` and `User`, the Snowplow tracker `SP-Anonymous` when anonymous. A fixed list rather than an echo of
 * Access-Control-Request-Headers: what a credentialed cross-origin request may carry stays reviewable.
 */
export const ALLOWED_HEADERS = 'Authorization, Content-Type, Accept, User, X-Retry-Count, SP-Anonymous';
const ALLOWED_METHODS = 'GET, POST, OPTIONS';

/**
 * CORS for the tracking and protocol routes. A listed origin, or any origin when "*" is listed, is echoed
 * with `Access-Control-Allow-Credentials: true`: browser SDKs (the Snowplow tracker, analytics-next) send
 * their requests with credentials, and the Fetch standard refuses a literal "*" for those. This is what
 * Snowplow's own collector does; the trade-off is in docs/compatibility.md. Only these routes call it: the
 * admin listener never answers cross-origin requests.
 */
export function applyCors(policy: CorsPolicy, request: FastifyRequest, reply: FastifyReply): boolean {
  const origin = request.headers.origin;
  if (!origin) return false;
  reply.header('vary', 'Origin');
  if (!policy.allowOrigins.includes(origin) && !policy.allowOrigins.includes('*')) return false;
  reply.header('access-control-allow-origin', origin);
  reply.header('access-control-allow-credentials', 'true');
  return true;
}

export function preflight(policy: CorsPolicy, request: FastifyRequest, reply: FastifyReply): void {
  if (applyCors(policy, request, reply)) {
    reply.header('access-control-allow-methods', ALLOWED_METHODS);
    reply.header('access-control-allow-headers', ALLOWED_HEADERS);
    reply.header('access-control-max-age', String(Math.floor(policy.maxAge / 1000)));
  }
  reply.code(204).send();
}

/**
 * Gives every route registered in this scope from now on an OPTIONS preflight (unless it has one), so no
 * path an SDK posts to is left without: call the returned function once the scope's routes are registered.
 */
export function preflightEveryRoute(app: FastifyInstance, policy: CorsPolicy): () => void {
  const paths = new Set<string>();
  const answered = new Set<string>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    (methods.includes('OPTIONS') ? answered : paths).add(route.url);
  });
  return () => {
    for (const path of paths) {
      if (answered.has(path)) continue;
      app.options(path, { config: { routeClass: 'tracking' } }, (request, reply) => preflight(policy, request, reply));
    }
  };
}
