import { validateHeaderName, validateHeaderValue, type OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Agent, Dispatcher } from 'undici';
import { undici } from '../server/undici.js';
import type { ProxyRoute } from './config.js';
import type { HeaderRecord } from './forward-headers.js';

// RFC 9110 §7.6.1 plus the fields that only describe one connection. `expect` is answered by Node itself
// (100-continue) and undici refuses it; `host` is replaced by the upstream's.
const REQUEST_DROP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'host']);
const RESPONSE_DROP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
// A Location that names a scheme (or is protocol-relative) points elsewhere and is never rewritten.
const EXTERNAL = /^([a-z][a-z0-9+.-]*:)?\/\//i;
// Responses are buffered while the caller's hook runs (a page view being stored); past this the upstream waits.
const HOLD_BYTES = 64 * 1024;

/** What happens around one forwarded request; everything here runs before the response is committed. */
export interface ForwardHooks {
  /** The request failed before any response byte was written: the caller answers it (or tries elsewhere). */
  readonly failed: (error: Error) => void;
  /**
   * The upstream answered; its status and headers are on the reply (`reply.statusCode`, `reply.getHeader`).
   * May add headers (cookies) and may wait; the response is written when it settles.
   */
  readonly answered?: (request: FastifyRequest, reply: FastifyReply) => Promise<void> | void;
  /**
   * The exchange with the upstream is over (answered, failed or cut): called once, before `failed` if any, with
   * the error when it did not end with the whole response.
   */
  readonly done?: (error?: Error) => void;
}

/** One forwarded request: its upstream, path (with query) and headers. */
export interface ForwardTarget {
  readonly origin: string;
  readonly path: string;
  readonly headers: HeaderRecord;
  /** The body to send; omitted: the request's own. */
  readonly body?: Readable | Buffer | string | null;
}

/**
 * The HTTP side of a proxy route: one undici agent (keep-alive pools per upstream) and a dispatch handler that
 * writes the upstream's answer straight into Node's response. This skips @fastify/reply-from's readable stream
 * and `reply.send(stream)` (measured in bench/HISTORY.md); the route's hooks still run: Fastify's `onResponse`
 * hooks listen on the raw response, and the headers set on the reply before (request id, HSTS, rate-limit) are
 * written with the upstream's. Bodies stream both ways with backpressure; nothing is buffered whole.
 */
export class Forwarder {
  private readonly agent: Agent;

  constructor(
    timeouts: ProxyRoute['timeouts'],
    private readonly location?: { readonly from: string; readonly to: string },
    /** Most sockets per upstream (0: no cap); requests past it wait in the agent's queue for a free one. */
    maxConnections = 0,
  ) {
    this.agent = new (undici().Agent)({
      ...(maxConnections > 0 ? { connections: maxConnections } : {}),
      headersTimeout: timeouts.response,
      bodyTimeout: timeouts.idle,
      // An https upstream must prove who it is.
      connect: { timeout: timeouts.connect, rejectUnauthorized: true },
    });
  }

  /** The headers sent upstream: the client's, minus hop-by-hop ones (and those `Connection` names), Host set. */
  static requestHeaders(request: FastifyRequest, origin: string): HeaderRecord {
    const incoming = request.headers;
    const named = incoming.connection ? connectionNames(incoming.connection) : undefined;
    const out: HeaderRecord = {};
    for (const name in incoming) {
      if (REQUEST_DROP.has(name) || name.charCodeAt(0) === 58 /* ':' HTTP/2 pseudo-header */ || named?.has(name)) continue;
      out[name] = incoming[name];
    }
    out.host = hostOf(origin);
    return out;
  }

  forward(request: FastifyRequest, reply: FastifyReply, target: ForwardTarget, hooks: ForwardHooks): void {
    const handler = new ResponseWriter(request, reply, hooks, this.location);
    this.agent.dispatch({ origin: target.origin, path: target.path, method: request.method, headers: target.headers, body: target.body === undefined ? bodyOf(request) : target.body }, handler);
  }

  close(): Promise<void> {
    return this.agent.destroy();
  }
}

/** Writes one upstream response into the client's response, or reports a failure that happened before it began. */
class ResponseWriter implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  /** The upstream's status line arrived: failures after it cut the client's response instead of answering. */
  private started = false;
  private held: Buffer[] | undefined;
  private heldBytes = 0;
  private ended = false;
  private readonly res: FastifyReply['raw'];
  private readonly onClientGone: () => void;

  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly hooks: ForwardHooks,
    private readonly location: { readonly from: string; readonly to: string } | undefined,
  ) {
    this.res = reply.raw;
    this.onClientGone = () => {
      if (!this.res.writableFinished) this.controller?.abort(new ClientGoneError());
    };
    this.res.once('close', this.onClientGone);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.res.destroyed) controller.abort(new ClientGoneError());
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.started = true;
    const reply = this.reply;
    try {
      reply.code(statusCode);
    } catch (err) {
      controller.abort(err as Error);
      return;
    }
    const named = headers.connection ? connectionNames(headers.connection) : undefined;
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || RESPONSE_DROP.has(name) || named?.has(name)) continue;
      reply.header(name, name === 'location' && this.location ? rewriteLocation(value, this.location) : value);
    }
    // An HTTP/1 connection cannot take the next request before this one's body is read; the upstream answered
    // first. (HTTP/2 streams are independent, and there `Connection` is a forbidden header.)
    if (this.request.raw.httpVersionMajor === 1 && !this.request.raw.complete) reply.header('connection', 'close');
    const pending = this.hooks.answered?.(this.request, reply);
    if (!pending) {
      this.commit();
      return;
    }
    this.held = [];
    pending.then(
      () => this.release(),
      (err: unknown) => controller.abort(err instanceof Error ? err : new Error(String(err))),
    );
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.held) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes > HOLD_BYTES) controller.pause();
      return;
    }
    if (!this.res.write(chunk)) this.waitDrain(controller);
  }

  onResponseEnd(): void {
    this.ended = true;
    this.hooks.done?.();
    if (this.held) return;
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.hooks.done?.(error);
    if (!this.started) {
      this.res.removeListener('close', this.onClientGone);
      // The client left before any answer: there is no one to answer, and the upstream is not to blame.
      if (error instanceof ClientGoneError) return;
      this.hooks.failed(error);
      return;
    }
    // The head is (or is about to be) written: all that is left is to cut the client's response short.
    this.held = undefined;
    this.reply.hijack();
    this.res.destroy(error instanceof ClientGoneError ? undefined : error);
  }

  private commit(): void {
    const reply = this.reply;
    reply.hijack();
    const headers = reply.getHeaders() as OutgoingHttpHeaders;
    try {
      this.res.writeHead(reply.statusCode, headers);
    } catch {
      // A header value Node will not write (a control character from the upstream): drop it, keep the rest.
      try {
        this.res.writeHead(reply.statusCode, sanitize(headers));
      } catch (err) {
        this.controller?.abort(err as Error);
      }
    }
  }

  private release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    if (this.res.destroyed) return;
    this.commit();
    for (const chunk of held) this.res.write(chunk);
    if (this.ended) this.finish();
    else if (this.controller?.paused) this.controller.resume();
  }

  private finish(): void {
    this.res.removeListener('close', this.onClientGone);
    this.res.end();
  }

  private waitDrain(controller: Dispatcher.DispatchController): void {
    controller.pause();
    this.res.once('drain', () => controller.resume());
  }
}

class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  readonly code = 'CLIENT_GONE';
  constructor() {
    super('the client closed the connection');
  }
}

export function bodyOf(request: FastifyRequest): Readable | Buffer | string | null {
  const method = request.method;
  if (method === 'GET' || method === 'HEAD') return null;
  const body = request.body;
  if (body instanceof Readable || Buffer.isBuffer(body) || typeof body === 'string') return body;
  return null;
}

const NO_NAMES = new Set<string>();

function connectionNames(value: string | string[]): Set<string> {
  // The usual values name no other field (and `keep-alive`, `close` are dropped anyway).
  if (value === 'keep-alive' || value === 'close') return NO_NAMES;
  const names = new Set<string>();
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const name = part.trim().toLowerCase();
    if (name) names.add(name);
  }
  return names;
}

const hosts = new Map<string, string>();
function hostOf(origin: string): string {
  let host = hosts.get(origin);
  if (host === undefined) {
    host = new URL(origin).host;
    hosts.set(origin, host);
  }
  return host;
}

/** A redirect to the upstream's own path prefix (`rewritePrefix`) is turned back into the route's path. */
export function rewriteLocation(value: string | string[], location: { readonly from: string; readonly to: string }): string | string[] {
  if (Array.isArray(value)) return value.map((v) => rewriteLocation(v, location) as string);
  if (EXTERNAL.test(value)) return value;
  const { from, to } = location;
  if (from.endsWith('/')) return value.startsWith(from) ? `${to.endsWith('/') ? to : `${to}/`}${value.slice(from.length)}` : value;
  if (value === from || value.startsWith(`${from}/`) || value.startsWith(`${from}?`)) return `${to}${value.slice(from.length)}` || '/';
  return value;
}

function sanitize(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    try {
      validateHeaderName(name);
      for (const v of Array.isArray(value) ? value : [value]) validateHeaderValue(name, String(v));
      out[name] = value;
    } catch {
      // dropped
    }
  }
  return out;
}
