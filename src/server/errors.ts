/**
 * The one catalogue of errors a client can see. Each has a stable code and an HTTP status; the reply body is
 * always `{"error":{"code","message", ...details}}`, never a stack trace.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpError';
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new HttpError(400, code, message, details);

export const unauthorized = (message = 'missing or invalid credentials') => new HttpError(401, 'UNAUTHORIZED', message);
export const notFound = (message = 'not found') => new HttpError(404, 'NOT_FOUND', message);
export const payloadTooLarge = (limit: number) =>
  new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`, { limit });
export const unsupportedMediaType = (type: string | undefined) =>
  new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `content type ${JSON.stringify(type ?? '')} is not accepted`);
export const serviceUnavailable = (code: string, message: string, retryAfterS: number) =>
  new HttpError(503, code, message, { retryAfter: retryAfterS });

/** Seconds for `Retry-After`: a 503 made by serviceUnavailable carries them in its details. */
export function retryAfterOf(err: HttpError): number | undefined {
  const seconds = err.details?.retryAfter;
  return err.statusCode === 503 && typeof seconds === 'number' ? seconds : undefined;
}

export interface ErrorBody {
  error: { code: string; message: string; [k: string]: unknown };
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: { code, message, ...details } };
}
