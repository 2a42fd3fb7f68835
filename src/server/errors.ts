import { ERROR_CODES, type ErrorCode, type ErrorCodeOf } from './error-codes.js';

export { ERROR_CODES, statusOf, type ErrorCode, type ErrorCodeOf } from './error-codes.js';

/**
 * An error a client sees: a code from the catalogue (error-codes.ts), which fixes its HTTP status, and a message
 * about this request. The reply body is always `{"error":{"code","message", ...details}}`, never a stack trace.
 */
export class HttpError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpError';
    this.statusCode = ERROR_CODES[code].status;
  }
}

export const badRequest = (code: ErrorCodeOf<400>, message: string, details?: Record<string, unknown>) => new HttpError(code, message, details);

export const unauthorized = (message = 'missing or invalid credentials') => new HttpError('UNAUTHORIZED', message);
export const notFound = (message = 'not found') => new HttpError('NOT_FOUND', message);
export const payloadTooLarge = (limit: number) => new HttpError('PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`, { limit });
export const unsupportedMediaType = (type: string | undefined) =>
  new HttpError('UNSUPPORTED_MEDIA_TYPE', `content type ${JSON.stringify(type ?? '')} is not accepted`);
export const serviceUnavailable = (code: ErrorCodeOf<503>, message: string, retryAfterS: number) =>
  new HttpError(code, message, { retryAfter: retryAfterS });

/** Seconds for `Retry-After`: a 503 made by serviceUnavailable carries them in its details. */
export function retryAfterOf(err: HttpError): number | undefined {
  const seconds = err.details?.retryAfter;
  return err.statusCode === 503 && typeof seconds === 'number' ? seconds : undefined;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; [k: string]: unknown };
}

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: { code, message, ...details } };
}
