import type { FastifyInstance } from 'fastify';
import type { Readiness } from './readiness.js';

/** `/healthz` (the process answers) and `/readyz` (it should get traffic). */
export async function opsRoutes(
  app: FastifyInstance,
  opts: { healthPath: string; readyPath: string; readiness: Readiness; version: string },
): Promise<void> {
  const config = { routeClass: 'ops' };
  app.get(opts.healthPath, { config }, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok', version: opts.version };
  });
  app.get(opts.readyPath, { config }, async (_req, reply) => {
    const report = await opts.readiness.report();
    reply.code(report.ready ? 200 : 503).header('cache-control', 'no-store');
    return report;
  });
}
