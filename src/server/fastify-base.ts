import { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { requestId } from './request-id.js';
import { requestLogger } from './request-logger.js';
import { writeClientError } from './client-error.js';
import { frameworkError } from './error-handler.js';

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
    // Errors raised before any route or hook runs (parser errors, a path with bad percent-encoding) get the same
    // JSON body as every other error, not Fastify's own shape.
    clientErrorHandler: writeClientError,
    frameworkErrors: frameworkError,
    // Fastify's own 503 while closing has its shape; installErrorHandlers answers it instead.
    return503OnClosing: false,
  };
}
