import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Health } from '../lifecycle/health.js';
import { fastifyBaseOptions } from '../server/fastify-base.js';

/**
 * The consumer process's own small listener: `/metrics` (lag, batch sizes, write latency, dead letters),
 * `/healthz`, and `/readyz` (the bus and every sink healthy).
 */
export async function consumerMetricsServer(options: {
  logger: Logger;
  telemetry: Telemetry;
  checks: Record<string, () => Promise<Health>>;
}): Promise<FastifyInstance> {
  const app = Fastify(fastifyBaseOptions(options.logger, 'consumer-metrics'));
  app.get('/metrics', async (_req, reply) => reply.type(options.telemetry.registry.contentType).send(await options.telemetry.metrics()));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const checks = Object.fromEntries(
      await Promise.all(
        Object.entries(options.checks).map(async ([name, check]) => [name, await check().catch((err: Error): Health => ({ status: 'down', reason: err.message }))] as const),
      ),
    );
    const ready = Object.values(checks).every((h) => h.status === 'up');
    return reply.code(ready ? 200 : 503).send({ ready, checks });
  });
  return app;
}
