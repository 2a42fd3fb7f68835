import { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { requestId } from './request-id.js';

/**
 * Options both listeners share: our logger, no per-request log lines (hot path; metrics count requests
 * instead, and debug logs come from named events), and request ids from `X-Request-Id` when safe.
 */
export function fastifyBaseOptions(logger: Logger, listener: string) {
  return {
    loggerInstance: logger.child({ listener }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestId,
  };
}
