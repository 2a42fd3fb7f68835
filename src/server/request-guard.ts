import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody, statusOf, type ErrorCode } from './errors.js';

/** Why a request is refused before any route: a code from the catalogue (its status too) and a message. */
interface Problem {
  readonly code: ErrorCode;
  readonly message: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * What Node's HTTP/1 parser lets through but RFC 9112 does not, refused before any route (and so before any
 * event is built):
 * - a request line without a version (HTTP/0.9 style, `GET /path`): llhttp reads it as 0.9;
 * - a version other than 1.0 or 1.1 on an HTTP/1 connection (`HTTP/2.0` in plain text is not HTTP/2): 505;
 * - no Host on HTTP/1.1, or more than one Host line (RFC 9112 §3.2: 400; Node keeps the first and drops the
 *   rest, so two components could disagree on which host was asked for).
 * HTTP/2 streams (the HTTPS listener with ALPN) have no request line; their authority is checked by Node.
 */
export function requestProblem(req: IncomingMessage): Problem | undefined {
  const major = req.httpVersionMajor;
  if (major === 2 && 'stream' in req) return undefined;
  if (major !== 1) {
    return major === 0
      ? { code: 'BAD_REQUEST', message: 'the request line has no HTTP version' }
      : { code: 'HTTP_VERSION_NOT_SUPPORTED', message: `HTTP/${req.httpVersion} is not supported on this connection` };
  }
  if (req.httpVersionMinor > 1) {
    return { code: 'HTTP_VERSION_NOT_SUPPORTED', message: `HTTP/${req.httpVersion} is not supported` };
  }
  let hosts = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') hosts++;
  if (hosts > 1) return { code: 'BAD_REQUEST', message: 'more than one Host header' };
  if (hosts === 0 && req.httpVersionMinor === 1) return { code: 'BAD_REQUEST', message: 'an HTTP/1.1 request needs a Host header' };
  return undefined;
}

const SERVED = Symbol('requestsServed');
type CountedSocket = { [SERVED]?: number };

/**
 * `handler`, behind `requestProblem`: a refused request is answered with the JSON error and its connection closed.
 * With `maxRequestsPerSocket`, the last allowed request is answered with `Connection: close` and the connection is
 * then closed (RFC 9112 §9.6). Requests a client pipelined past it are still parsed and dispatched by Node: they get
 * a JSON 503 (if the socket is still open to carry it) and never reach a route, so none of them is stored unanswered.
 * (Node's own maxRequestsPerSocket answers them with a bodiless 503.)
 */
export function guardRequests(handler: Handler, maxRequestsPerSocket = 0): Handler {
  return (req, res) => {
    const problem = requestProblem(req) ?? (maxRequestsPerSocket > 0 ? pastLimit(req, res, maxRequestsPerSocket) : undefined);
    if (!problem) return handler(req, res);
    const body = JSON.stringify(errorBody(problem.code, problem.message));
    res.shouldKeepAlive = false;
    res
      .writeHead(statusOf(problem.code), { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' })
      .end(body);
  };
}

function pastLimit(req: IncomingMessage, res: ServerResponse, max: number): ReturnType<typeof requestProblem> {
  const socket = req.socket as unknown as CountedSocket;
  const served = (socket[SERVED] ?? 0) + 1;
  socket[SERVED] = served;
  if (served > max) return { code: 'CONNECTION_LIMIT', message: `this connection has served its ${max} requests: open a new one` };
  if (served === max) res.shouldKeepAlive = false;
  return undefined;
}

/** Node options that would answer before the guard, without a JSON body. */
export const GUARDED_SERVER_OPTIONS = { requireHostHeader: false } as const;
