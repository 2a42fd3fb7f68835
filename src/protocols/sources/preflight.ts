import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CorsPolicy } from '../../track/cors.js';
import { preflight } from '../../track/cors.js';
import type { SourceDefinition } from './definition.js';

/**
 * CORS preflights of the source paths: the tracking policy's answer, plus what a source needs beyond it, so a
 * browser may send the source's credential header (Authorization, X-PG-API-Key, ...) and its methods (PUT,
 * PATCH). Added to whatever the shared preflight allows, so both evolve independently.
 */
export function sourcePreflights(app: FastifyInstance, policy: CorsPolicy, sources: readonly SourceDefinition[]): void {
  for (const source of sources) {
    const headers = source.auth.type === 'header' ? [source.auth.header] : source.auth.type === 'none' ? [] : ['Authorization'];
    app.options(source.path, {
      config: { routeClass: 'tracking' },
      onSend: async (_request, reply, payload) => {
        extend(reply, 'access-control-allow-headers', headers);
        extend(reply, 'access-control-allow-methods', source.methods);
        return payload;
      },
      handler: (request: FastifyRequest, reply: FastifyReply) => preflight(policy, request, reply),
    });
  }
}

/** Appends values to a comma-separated header the preflight set (only when it allowed the origin). */
function extend(reply: FastifyReply, name: string, values: readonly string[]): void {
  const current = reply.getHeader(name);
  if (typeof current !== 'string') return;
  const present = new Set(current.split(',').map((v) => v.trim().toLowerCase()));
  const added = values.filter((v) => !present.has(v.toLowerCase()));
  if (added.length > 0) reply.header(name, [current, ...added].join(', '));
}
