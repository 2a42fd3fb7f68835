import { readFileSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../server/errors.js';
import { wantsHtml } from '../server/error-handler.js';
import type { ProxyConfig } from './config.js';

/** How an upstream failure is answered and whether the upstream is to blame for being unreachable. */
export interface GatewayFailure {
  readonly status: 502 | 504;
  readonly code: 'BAD_GATEWAY' | 'GATEWAY_TIMEOUT';
  /** A failure to connect at all: the upstream leaves the rotation for `retryAfterFailure`. */
  readonly connect: boolean;
  /** The error code seen (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT...), for logs and events. */
  readonly reason: string;
}

// Connect-phase failures: nothing reached the upstream, so another one may safely be tried.
const CONNECT_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'FST_REPLY_FROM_GATEWAY_TIMEOUT', 'FST_REPLY_FROM_TIMEOUT']);

/**
 * Maps a @fastify/reply-from error (its own wrapper, with the undici error as `cause`) to 502 or 504.
 * reply-from answers ECONNREFUSED with 500 and ENOTFOUND with 503; to a client both mean the gateway could not
 * reach its upstream, which is 502 (RFC 9110 §15.6.3).
 */
export function classifyUpstreamError(error: unknown): GatewayFailure {
  const reason = innermostCode(error);
  const timeout = TIMEOUT_CODES.has(reason) || TIMEOUT_CODES.has(codeOf(error) ?? '');
  return {
    status: timeout ? 504 : 502,
    code: timeout ? 'GATEWAY_TIMEOUT' : 'BAD_GATEWAY',
    connect: CONNECT_CODES.has(reason),
    reason,
  };
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function innermostCode(err: unknown): string {
  let current = err;
  let code = codeOf(err) ?? 'UNKNOWN';
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause !== undefined; depth++) {
    current = current.cause;
    code = codeOf(current) ?? code;
  }
  return code;
}

export type GatewayErrorReplier = (request: FastifyRequest, reply: FastifyReply, failure: Pick<GatewayFailure, 'status' | 'code'>) => void;

/**
 * Builds the 502/504 responder once: custom pages are read at startup so a missing file fails the boot, not
 * the first outage.
 */
export function gatewayErrorReplier(pages: ProxyConfig['errorPages']): GatewayErrorReplier {
  const html = {
    502: pages.badGateway ? readFileSync(pages.badGateway, 'utf8') : page('502 Bad Gateway', 'The site is not reachable right now.'),
    504: pages.gatewayTimeout ? readFileSync(pages.gatewayTimeout, 'utf8') : page('504 Gateway Timeout', 'The site took too long to answer.'),
  };
  const messages = { 502: 'the upstream server could not be reached', 504: 'the upstream server did not answer in time' };
  return (request, reply, { status, code }) => {
    // An upstream failure must not be cached by a browser or CDN beyond the outage.
    reply.code(status).header('cache-control', 'no-store');
    if (pages.negotiate && wantsHtml(request)) {
      reply.type('text/html; charset=utf-8').send(html[status]);
      return;
    }
    reply.type('application/json; charset=utf-8').send(errorBody(code, messages[status]));
  };
}

function page(title: string, text: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>\n`;
}
