import type { FastifyReply, FastifyRequest } from 'fastify';

/** What a short-link slug may be: also what a one-segment path must be to be looked up as one. */
export const SLUG = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Short links at the site root share the namespace with whatever else serves `/` (static files, a proxy): that
 * route asks the fallback about a one-segment path and goes on as usual when it answers false. True means it
 * answered the request (the redirect).
 */
export type RootFallback = (request: FastifyRequest, reply: FastifyReply, slug: string) => Promise<boolean>;

const ONE_SEGMENT = /^\/([A-Za-z0-9_-]{1,64})(?:\?|$)/;

/** The slug of a `GET`/`HEAD` for a one-segment path such as `/launch?x=1`; undefined for anything else. */
export function rootSlug(request: FastifyRequest): string | undefined {
  if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
  return ONE_SEGMENT.exec(request.url)?.[1];
}
