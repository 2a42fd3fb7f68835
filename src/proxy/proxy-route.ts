import type { FastifyInstance, FastifyReply, FastifyRequest, RawServerBase, RequestGenericInterface } from 'fastify';
import fastifyHttpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy';
import type { ProxyRoute } from './config.js';
import type { ProxyEvents } from './events.js';
import type { GatewayErrorReplier } from './gateway-errors.js';
import { classifyUpstreamError } from './gateway-errors.js';
import { withForwardHeaders, type HeaderRecord } from './forward-headers.js';
import { Forwarder, type ForwardHooks } from './forwarder.js';
import { hostConstraint } from './host-match.js';
import { UpstreamPool } from './upstream-pool.js';

export interface ProxyRouteDeps {
  readonly route: ProxyRoute;
  readonly clientIp: (request: FastifyRequest) => string;
  readonly events: ProxyEvents;
  readonly replyError: GatewayErrorReplier;
  readonly reservedPrefixes: readonly string[];
  /** Runs when an upstream answered, before the response is written (server-side page views). */
  readonly answered?: ForwardHooks['answered'];
}

// Only these may be sent again to another upstream: they carry no body and are idempotent (RFC 9110 §9.2.2).
const RETRYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);
// Headers a WebSocket backend needs from the handshake (the ws client writes its own Upgrade/Key/Version).
const WS_HEADERS = ['cookie', 'authorization', 'user-agent', 'origin', 'accept-language'];

/** Which upstream a request was given, so every caller (HTTP handler, WebSocket proxy) agrees on it. */
interface Choice {
  upstream: string;
  /** Every upstream was down: the HTTP path answers 502 without trying; a WebSocket still tries the first. */
  none: boolean;
}

/**
 * One configured route. @fastify/http-proxy owns its routing (prefix, host constraint, path checks) and its
 * WebSocket upgrades; plain HTTP goes through the route's `Forwarder` (undici dispatch straight into the
 * response), not through reply-from. Round-robin, marking upstreams down and retrying on the next one are done
 * here because @fastify/http-proxy only knows one upstream.
 */
export async function registerProxyRoute(app: FastifyInstance, deps: ProxyRouteDeps): Promise<void> {
  const { route, events, replyError } = deps;
  const upstreams = route.upstreams.map((u) => new URL(u).origin);
  const pool = new UpstreamPool(upstreams, route.retryAfterFailure);
  const chosen = new WeakMap<FastifyRequest, Choice>();
  const choose = (request: FastifyRequest): Choice => {
    const picked = pool.pick();
    const choice = { upstream: picked ?? upstreams[0] ?? '', none: picked === undefined };
    chosen.set(request, choice);
    return choice;
  };
  const choiceOf = (request: FastifyRequest) => chosen.get(request) ?? choose(request);
  const forwardHeaders = (request: FastifyRequest, base: HeaderRecord) => withForwardHeaders(request, base, deps.clientIp(request));

  const path = route.path.length > 1 ? route.path.replace(/\/+$/, '') : '';
  const rewritePrefix = route.rewritePrefix ?? (path || '/');
  const forwarder = new Forwarder(route.timeouts, rewritePrefix !== (path || '/') ? { from: rewritePrefix, to: path } : undefined);
  app.addHook('onClose', () => forwarder.close());
  // Bodies are streamed upstream as they come. @fastify/http-proxy passes JSON and unknown types through, but
  // Fastify's own text/plain parser would read a text body whole (and refuse one over its bodyLimit).
  app.removeContentTypeParser('text/plain');

  const forward = (request: FastifyRequest, reply: FastifyReply, dest: string, attempt: number): void => {
    const choice = attempt === 0 ? choiceOf(request) : choose(request);
    if (choice.none) {
      replyError(request, reply, { status: 502, code: 'BAD_GATEWAY' });
      return;
    }
    const q = request.url.indexOf('?');
    const target = {
      origin: choice.upstream,
      path: q < 0 ? dest || '/' : `${dest || '/'}${request.url.slice(q)}`,
      headers: forwardHeaders(request, Forwarder.requestHeaders(request, choice.upstream)),
    };
    forwarder.forward(request, reply, target, {
      answered: deps.answered,
      failed: (error) => {
        const failure = classifyUpstreamError(error);
        // A client that went away mid-request is not the upstream's fault.
        if (request.raw.socket?.destroyed) return replyError(request, reply, failure);
        events.upstreamFailed({ upstream: choice.upstream }, { reason: failure.reason, status: failure.status, reqId: request.id });
        if (failure.connect && pool.markDown(choice.upstream)) {
          events.upstreamDown({ upstream: choice.upstream }, { reason: failure.reason, retryAfterMs: route.retryAfterFailure });
        }
        // Nothing reached the failed upstream, so a bodiless idempotent request can go to the next one.
        if (failure.connect && RETRYABLE.has(request.method) && attempt + 1 < upstreams.length && pool.available() > 0) {
          forward(request, reply, dest, attempt + 1);
          return;
        }
        replyError(request, reply, failure);
      },
    });
  };

  const base: FastifyHttpProxyOptions = {
    upstream: '',
    prefix: path,
    rewritePrefix,
    config: { routeClass: 'proxy' },
    constraints: route.host ? { host: hostConstraint(route.host) } : {},
    disableRequestLogging: true,
    // Without it reply-from's undici agent (registered by @fastify/http-proxy, unused for HTTP here) outlives the app.
    destroyAgent: true,
    replyOptions: {
      // Also read by the WebSocket proxy, so both kinds of request agree on the upstream.
      getUpstream: (request) => choiceOf(httpOne(request)).upstream,
    },
    // Runs for WebSocket upgrades too (the handler does not: @fastify/http-proxy hijacks them before it).
    preHandler: (request, reply, done) => {
      if (isReserved(request.url, deps.reservedPrefixes)) return reply.callNotFound();
      done();
    },
    // Returns nothing: a returned reply is a thenable to Fastify, which then attaches end-of-stream listeners to
    // every response just to learn when it ends; the forwarder answers on its own.
    handler: (request, reply, dest) => {
      forward(request, reply, dest, 0);
    },
  };
  if (!route.websocket) {
    await app.register(fastifyHttpProxy, { ...base, websocket: false });
    return;
  }
  await app.register(fastifyHttpProxy, {
    ...base,
    websocket: true,
    // `rewriteRequestHeaders` is read by @fastify/http-proxy at run time (index.js) but missing from its types.
    wsClientOptions: {
      handshakeTimeout: route.timeouts.connect,
      rewriteRequestHeaders: (_headers: HeaderRecord, request: FastifyRequest) => forwardHeaders(request, pickHeaders(request, WS_HEADERS)),
    } as FastifyHttpProxyOptions['wsClientOptions'],
  });
}

/**
 * Paths owned by other routes (tracking) that a proxy must not serve even for a method they did not register:
 * find-my-way keeps one tree per method, so `PUT /tr/v1/x` would otherwise fall through to a proxy on `/`.
 */
function isReserved(url: string, prefixes: readonly string[]): boolean {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return prefixes.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
}

/** reply-from types its hooks for any kind of server; the main listener is HTTP/1 (its server factory). */
function httpOne(request: FastifyRequest<RequestGenericInterface, RawServerBase>): FastifyRequest {
  return request as unknown as FastifyRequest;
}

function pickHeaders(request: FastifyRequest, names: readonly string[]): HeaderRecord {
  const out: HeaderRecord = {};
  for (const name of names) if (request.headers[name] !== undefined) out[name] = request.headers[name];
  return out;
}
