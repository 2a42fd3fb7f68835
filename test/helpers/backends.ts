import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { StaticDecode, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ProxyConfig, proxyPlugin } from '../../src/proxy/index.js';
import { installErrorHandlers } from '../../src/server/error-handler.js';
import { httpMetrics } from '../../src/server/http-metrics.js';
import { requestId, REQUEST_ID_HEADER } from '../../src/server/request-id.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createClientIpResolver } from '../../src/track/enrich/client-ip.js';

/**
 * Real HTTP backends on loopback for proxy tests: port 0 unless a port is given (to bring a "down" upstream
 * back on the address the proxy already knows). Each is stopped by `stop()`, which also cuts open connections.
 */
export interface Backend {
  readonly url: string;
  readonly port: number;
  /** Requests (or WebSocket connections) received so far. */
  readonly hits: () => number;
  stop(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function start(handler: Handler, port = 0, setup?: (server: Server, count: () => void) => void): Promise<Backend> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  setup?.(server, () => hits++);
  const bound = await listen(server, port);
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    hits: () => hits,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Answers every request with JSON `{ name, method, url, headers, bodyBytes }`. The body is counted, never kept,
 * so the echo also serves as the sink of a streamed upload.
 */
export function startEcho(name = 'echo', port = 0): Promise<Backend> {
  return start((req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, bodyBytes }));
    });
  }, port);
}

/** Answers every request with this HTML page (a site behind the gateway, for browser tests). */
export function startHtml(html: string): Promise<Backend> {
  return start((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(html);
  });
}

/** Never answers: the request stays open until the backend is stopped (for response timeouts). */
export function startSlow(): Promise<Backend> {
  return start(() => undefined);
}

/** `GET /bytes/<n>` streams n bytes in 64 KiB chunks, with backpressure and one reused chunk (no garbage). */
export function startStreaming(): Promise<Backend> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return start((req, res) => {
    const total = Number(/^\/bytes\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
    Readable.from(byteChunks(chunk, total)).pipe(res);
  });
}

/** Yields `total` bytes as slices of one shared buffer. */
export function* byteChunks(chunk: Buffer, total: number): Generator<Buffer> {
  for (let sent = 0; sent < total; sent += chunk.length) yield chunk.subarray(0, Math.min(chunk.length, total - sent));
}

/** The parts of the `ws` package the tests use (it ships no types; @types/ws is not installed). */
export interface WsSocket {
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'open' | 'close', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  once(event: 'open' | 'close', listener: () => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  send(data: string | Buffer): void;
  close(): void;
  terminate(): void;
}
interface WsServer {
  on(event: 'connection', listener: (socket: WsSocket, req: IncomingMessage) => void): this;
  clients: Set<WsSocket>;
  close(cb?: () => void): void;
}
interface WsModule {
  WebSocket: new (url: string, options?: { headers?: Record<string, string> }) => WsSocket;
  WebSocketServer: new (options: { server: Server }) => WsServer;
}

/** `ws`, a dependency of @fastify/http-proxy, loaded through require because it has no type declarations. */
export const ws = createRequire(import.meta.url)('ws') as WsModule;

/**
 * A WebSocket echo: on connection it first sends `{ url, headers }` of the handshake, then echoes each message.
 * Plain HTTP requests get 426.
 */
export function startWsEcho(): Promise<Backend> {
  let wss: WsServer | undefined;
  const handler: Handler = (_req, res) => {
    res.statusCode = 426;
    res.end();
  };
  return start(handler, 0, (server, count) => {
    wss = new ws.WebSocketServer({ server });
    wss.on('connection', (socket, req) => {
      count();
      socket.send(JSON.stringify({ url: req.url, headers: req.headers }));
      socket.on('message', (data, isBinary) => socket.send(isBinary ? data : data.toString()));
    });
  }).then((backend) => ({
    ...backend,
    stop: async () => {
      for (const client of wss?.clients ?? []) client.terminate();
      await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
      await backend.stop();
    },
  }));
}

/** A config slice as the loader would hand it over: defaults applied, durations decoded. */
export function decodeSlice<S extends TSchema>(schema: S, input: unknown): StaticDecode<S> {
  return Value.Decode(schema, Value.Default(schema, structuredClone(input)));
}

export interface ProxyAppOptions {
  trustedProxies?: readonly string[];
  telemetry?: Telemetry;
}

/**
 * The public app as main-app assembles it, reduced to what the proxy touches: error handlers, metrics, the
 * request id, a tracking route registered first (it must keep winning), then the proxy.
 */
export async function buildProxyApp(
  proxy: unknown,
  { trustedProxies = ['10.0.0.0/8'], telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false }) }: ProxyAppOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({ genReqId: requestId, trustProxy: false });
  installErrorHandlers(app);
  httpMetrics(app, telemetry, 'main');
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.get('/tr/v1/*', { config: { routeClass: 'tracking' } }, async () => ({ tracked: true }));
  const resolve = createClientIpResolver(trustedProxies);
  const clientIp = (request: FastifyRequest) => resolve(request.socket.remoteAddress ?? '', request.headers);
  await app.register(proxyPlugin, { config: decodeSlice(ProxyConfig, proxy), clientIp, telemetry, reservedPrefixes: ['/tr/v1'] });
  return app;
}

/** A backend whose health and pace a test controls, and that counts what reaches it. */
export interface ControlledBackend extends Backend {
  readonly name: string;
  /** `/healthz` answers 200 while true, 503 when false; user requests then get 503 too (a sick backend). */
  healthy: boolean;
  /** While true, user requests wait until `release()`. */
  hold: boolean;
  /** Answers every held request and stops holding. */
  release(): void;
  /** User requests received (health probes excluded). */
  readonly userHits: () => number;
  /** Health probes received. */
  readonly probes: () => number;
  /** User requests received and not answered yet. */
  readonly waiting: () => number;
  /** Connections open now, and the most open at once. */
  readonly connections: () => { open: number; max: number };
}

/** Answers `{ name, url, bodyBytes }` like the echo, with the controls of `ControlledBackend`. */
export async function startControlled(name: string, port = 0): Promise<ControlledBackend> {
  let userHits = 0;
  let probes = 0;
  let open = 0;
  let max = 0;
  const held: (() => void)[] = [];
  const state = { healthy: true, hold: false };
  const backend = await start(
    (req, res) => {
      if (req.url === '/healthz') {
        probes++;
        res.statusCode = state.healthy ? 200 : 503;
        res.end();
        return;
      }
      userHits++;
      let bodyBytes = 0;
      req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
      req.on('end', () => {
        const answer = () => {
          res.statusCode = state.healthy ? 200 : 503;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ name, url: req.url, bodyBytes }));
        };
        if (state.hold) held.push(answer);
        else answer();
      });
    },
    port,
    (server) =>
      server.on('connection', (socket) => {
        open++;
        max = Math.max(max, open);
        socket.once('close', () => open--);
      }),
  );
  return Object.assign(state, {
    ...backend,
    name,
    release() {
      state.hold = false;
      for (const answer of held.splice(0)) answer();
    },
    userHits: () => userHits,
    probes: () => probes,
    waiting: () => held.length,
    connections: () => ({ open, max }),
  });
}

/** Cuts every connection as soon as a request arrives: a reset before any response byte. */
export function startResetting(): Promise<Backend> {
  return start((req) => req.socket.destroy());
}
