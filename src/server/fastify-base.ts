import { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { requestId } from './request-id.js';
import { requestLogger } from './request-logger.js';

/**
 * Options both listeners share: our logger, no per-request log lines (hot path; metrics count requests
 * instead, and debug logs come from named events), a request logger made only when used, and request ids from
 * `X-Request-Id` when safe.
 */
export function fastifyBaseOptions(logger: Logger, listener: string) {
  return {
    loggerInstance: logger.child({ listener }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: requestLogger,
    genReqId: requestId,
  };
}
