import type { FastifyInstance, FastifyReply, FastifyRequest, RawServerBase, RequestGenericInterface } from 'fastify';
import type { FastifyHttpProxyOptions } from '@fastify/http-proxy';
import type { ProxyRoute } from './config.js';
import type { ProxyEvents } from './events.js';
import type { GatewayErrorReplier } from './gateway-errors.js';
import { classifyUpstreamError } from './gateway-errors.js';
import { withForwardHeaders, type HeaderRecord } from './forward-headers.js';
import { Forwarder, bodyOf, type ForwardHooks } from './forwarder.js';
import { HealthChecker } from './health-checker.js';
import { ReplayableBody } from './replayable-body.js';
import { pin, stickyValue, unpin } from './sticky-cookie.js';
import type { UpstreamDirectory } from './upstream-directory.js';
import { hostConstraint } from './host-match.js';
import { UpstreamPool } from './upstream-pool.js';
import { rootSlug, type RootFallback } from '../server/root-fallback.js';

// Span attributes (an OpenTelemetry semantic convention and ours), written out: the SDK is loaded only when
// tracing is on.
const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
const ATTR_UPSTREAM = 'gatehouse.upstream';

export interface ProxyRouteDeps {
  readonly route: ProxyRoute;
  readonly clientIp: (request: FastifyRequest) => string;
  readonly events: ProxyEvents;
  readonly replyError: GatewayErrorReplier;
  readonly reservedPrefixes: readonly string[];
  /** Where the route's pool is listed for /metrics and the admin API. */
  readonly directory: UpstreamDirectory;
  /** Runs when an upstream answered, before the response is written (server-side page views). */
  readonly answered?: ForwardHooks['answered'];
  /** Root short links: asked about a one-segment GET/HEAD before a route on `/` proxies it. */
  readonly shortLink?: RootFallback;
}

// Idempotent and bodiless (RFC 9110 §9.2.2): sent again after a reset, where the upstream may have seen the head.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
// A connection cut before any response byte: a stale keep-alive socket, or an upstream going away.
const RESET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);
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
 * response), not through reply-from. Choosing the upstream (policy, health, capacity), marking upstreams down
 * and retrying on another one are done here because @fastify/http-proxy only knows one upstream.
 */
export async function registerProxyRoute(app: FastifyInstance, deps: ProxyRouteDeps): Promise<void> {
  const { route, events, replyError } = deps;
  const upstreams = route.upstreams.map((u) =>
    typeof u === 'string' ? { origin: new URL(u).origin } : { origin: new URL(u.url).origin, ...(u.weight ? { weight: u.weight } : {}) },
  );
  const policy = route.loadBalancing.policy;
  const pool = new UpstreamPool(upstreams, { retryAfterMs: route.retryAfterFailure, policy, maxConnections: route.maxConnectionsPerUpstream });
  const checker = route.healthCheck ? new HealthChecker(pool, route.healthCheck, events) : undefined;
  deps.directory.add(`${route.host ?? '*'}${route.path}`, pool, checker);
  if (checker) {
    app.addHook('onReady', async () => checker.start());
    app.addHook('onClose', () => checker.close());
  }
  const first = upstreams[0]?.origin ?? '';
  const chosen = new WeakMap<FastifyRequest, Choice>();
  const choose = (request: FastifyRequest, exclude?: ReadonlySet<string>): Choice => {
    const picked = pool.pick({
      clientIp: () => deps.clientIp(request),
      sticky: policy === 'cookie' ? stickyValue(request, route.loadBalancing.cookie.name) : undefined,
      exclude,
    });
    const choice = { upstream: picked?.origin ?? first, none: picked === undefined };
    chosen.set(request, choice);
    return choice;
  };
  const choiceOf = (request: FastifyRequest) => chosen.get(request) ?? choose(request);
  const forwardHeaders = (request: FastifyRequest, base: HeaderRecord) => withForwardHeaders(request, base, deps.clientIp(request));

  const path = route.path.length > 1 ? route.path.replace(/\/+$/, '') : '';
  const rewritePrefix = route.rewritePrefix ?? (path || '/');
  const forwarder = new Forwarder(
    route.timeouts,
    rewritePrefix !== (path || '/') ? { from: rewritePrefix, to: path } : undefined,
    route.maxConnectionsPerUpstream,
  );
  app.addHook('onClose', () => forwarder.close());
  // Bodies are streamed upstream as they come. @fastify/http-proxy passes JSON and unknown types through, but
  // Fastify's own text/plain parser would read a text body whole (and refuse one over its bodyLimit).
  app.removeContentTypeParser('text/plain');

  /** One attempt; `tried` holds the upstreams already tried (undefined on the first attempt). */
  const forward = (request: FastifyRequest, reply: FastifyReply, dest: string, body: ReplayableBody, tried?: Set<string>): void => {
    const choice = tried ? choose(request, tried) : choiceOf(request);
    if (choice.none) {
      replyError(request, reply, { status: 502, code: 'BAD_GATEWAY' });
      return;
    }
    const upstream = pool.find(choice.upstream);
    const cookie = policy === 'cookie' && upstream && stickyValue(request, route.loadBalancing.cookie.name) !== upstream.id
      ? pin(request, reply, route.loadBalancing.cookie, path, upstream.id)
      : undefined;
    const q = request.url.indexOf('?');
    const target = {
      origin: choice.upstream,
      path: q < 0 ? dest || '/' : `${dest || '/'}${request.url.slice(q)}`,
      headers: forwardHeaders(request, Forwarder.requestHeaders(request, choice.upstream)),
      body: body.take(),
    };
    if (upstream) upstream.inFlight++;
    // With tracing on, the upstream sees this call's span as its parent, in place of any traceparent the client sent.
    const span = request.trace?.child('proxy', 'client', { [ATTR_UPSTREAM]: choice.upstream, [ATTR_HTTP_REQUEST_METHOD]: request.method });
    span?.inject(target.headers);
    forwarder.forward(request, reply, target, {
      answered: deps.answered,
      done: (error) => {
        if (upstream) upstream.inFlight--;
        span?.end(error ? { error: classifyUpstreamError(error).reason } : { status: reply.statusCode });
      },
      failed: (error) => {
        const failure = classifyUpstreamError(error);
        // A client that went away mid-request is not the upstream's fault.
        if (request.raw.socket?.destroyed) return replyError(request, reply, failure);
        events.upstreamFailed({ upstream: choice.upstream }, { reason: failure.reason, status: failure.status, reqId: request.id });
        if (failure.connect && pool.markDown(choice.upstream)) {
          events.upstreamDown({ upstream: choice.upstream }, { reason: failure.reason, retryAfterMs: route.retryAfterFailure });
        }
        // Nothing reached the upstream (no connection), or a bodiless idempotent request was cut before any
        // answer: another upstream may take it, as long as no byte of the body was consumed.
        const resent = failure.connect || (RESET_CODES.has(failure.reason) && IDEMPOTENT.has(request.method));
        if (resent && body.unsent) {
          const next = tried ?? new Set<string>();
          next.add(choice.upstream);
          if (next.size < upstreams.length) {
            if (cookie) unpin(reply, cookie);
            events.upstreamRetried({ upstream: choice.upstream }, { reason: failure.reason, reqId: request.id });
            forward(request, reply, dest, body, next);
            return;
          }
        }
        replyError(request, reply, failure);
      },
    });
  };

  // A route on the site root shares its one-segment paths with short links: a stored slug redirects, and any
  // other path is proxied as usual (the lookup is cached, a miss included).
  const rootLinks = path === '' ? deps.shortLink : undefined;
  const linkOrForward = async (links: RootFallback, request: FastifyRequest, reply: FastifyReply, dest: string, slug: string) => {
    if (!(await links(request, reply, slug))) forward(request, reply, dest, new ReplayableBody(bodyOf(request)));
    return reply; // the forwarder answers on its own; returning the reply tells Fastify to wait for it
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
      const slug = rootLinks ? rootSlug(request) : undefined;
      if (rootLinks && slug !== undefined) return linkOrForward(rootLinks, request, reply, dest, slug);
      forward(request, reply, dest, new ReplayableBody(bodyOf(request)));
    },
  };
  // Loaded with the first route: a gateway without proxy routes never loads it (with reply-from's own undici and
  // the ws client, about 6.5 MB of a process's memory, bench/HISTORY.md).
  const { default: fastifyHttpProxy } = await import('@fastify/http-proxy');
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
      rewriteRequestHeaders: (_headers: HeaderRecord, request: FastifyRequest) => {
        const headers = forwardHeaders(request, pickHeaders(request, WS_HEADERS));
        traceUpgrade(request, headers, choiceOf(request).upstream);
        return headers;
      },
    } as FastifyHttpProxyOptions['wsClientOptions'],
  });
}

/**
 * A proxied WebSocket in the request's trace, when tracing is on. Called as the upstream connection is opened, once
 * the client's handshake is done: the server span ends there (101), and a `proxy` span, whose context the upstream
 * receives in `traceparent`, lasts as long as the client's connection.
 */
function traceUpgrade(request: FastifyRequest, headers: HeaderRecord, upstream: string): void {
  const trace = request.trace;
  if (!trace) return;
  const span = trace.child('proxy', 'client', { [ATTR_UPSTREAM]: upstream, [ATTR_HTTP_REQUEST_METHOD]: request.method });
  span.inject(headers);
  const route = request.routeOptions.url;
  trace.end({ status: 101, routeClass: 'proxy', ...(route ? { route } : {}) });
  request.raw.socket.once('close', () => span.end({ status: 101 }));
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
