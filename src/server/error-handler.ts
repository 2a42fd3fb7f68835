import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, errorBody, retryAfterOf, type ErrorCode } from './errors.js';

/**
 * Every error becomes a JSON body with a code; 5xx details stay in the log. Fastify's own errors (body too
 * large, bad content type, header overflow) are mapped to the same shape.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  // While closing, requests still arriving on open keep-alive connections get a 503 in our shape (Fastify's
  // return503OnClosing would answer in its own), and their connection is closed.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close').header('retry-after', '1').code(503).send(errorBody('SHUTTING_DOWN', 'the server is shutting down'));
  });
  app.setErrorHandler((err: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof HttpError) {
      const retryAfter = retryAfterOf(err);
      if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
      return reply.code(err.statusCode).send(errorBody(err.code, err.message, err.details));
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
      // A header that Node refused to write (ERR_INVALID_CHAR) is still on the reply: drop them all, or this
      // answer would fail the same way and Fastify would fall back to its own error shape.
      if (HEADER_WRITE_ERRORS.has(err.code ?? '')) for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
      return reply.code(status).send(errorBody('INTERNAL', 'internal error'));
    }
    return reply.code(status).send(errorBody(mapCode(err), publicMessage(err)));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404);
    if (wantsHtml(request)) return reply.type('text/html; charset=utf-8').send(NOT_FOUND_HTML);
    return reply.send(errorBody('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
  });
}

const HEADER_WRITE_ERRORS = new Set(['ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN', 'ERR_HTTP_INVALID_HEADER_VALUE']);

/** Fastify's `frameworkErrors`: a path it cannot decode (bad percent-encoding) or an over-long parameter, before routing. */
export function frameworkError(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const code = err.code === 'FST_ERR_BAD_URL' ? 'BAD_URL' : 'BAD_REQUEST';
  const message = err.code === 'FST_ERR_BAD_URL' ? 'the request path is not valid percent-encoded UTF-8' : publicMessage(err);
  reply.code(400).send(errorBody(code, message));
}

function mapCode(err: FastifyError): ErrorCode {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'PAYLOAD_TOO_LARGE';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'INVALID_JSON';
    case 'FST_ERR_VALIDATION':
      return 'INVALID_REQUEST';
    default:
      // Another library's code is not in the catalogue: the client sees the generic one, the message says more.
      return 'BAD_REQUEST';
  }
}

function publicMessage(err: FastifyError): string {
  // Fastify's client-error messages are safe to show; strip its internal prefix.
  return err.message.replace(/^FST_[A-Z_]+: /, '');
}

export function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html') && !accept.startsWith('application/json');
}

const NOT_FOUND_HTML =
  '<!doctype html><html><head><meta charset="utf-8"><title>Not found</title></head><body><h1>Not found</h1></body></html>\n';
