import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildProxyApp, byteChunks, startEcho, startStreaming, startWsEcho, ws, type Backend, type WsSocket } from './helpers/backends.js';

const SIZE = 200 * 1024 * 1024;
// Buffering would hold the whole 200 MB at least once. Streaming measured 15-45 MB of RSS growth (buffers freed
// by the GC are kept by the allocator; a 1 GB transfer plateaus at the same level) and 10-36 MB of buffers live
// at once: client, proxy and backend share this process, and a loaded machine leaves more chunks in flight. The
// budgets sit at a quarter and a third of the transfer: far above streaming, far below buffering.
const RSS_BUDGET = SIZE / 3;
const HELD_BUDGET = SIZE / 4;

let backends: Backend[] = [];
let gw: FastifyInstance;
let port: number;

beforeAll(async () => {
  const [echo, streaming, wsEcho] = [await startEcho(), await startStreaming(), await startWsEcho()];
  backends = [echo, streaming, wsEcho];
  gw = await buildProxyApp({
    routes: [
      { path: '/up', upstreams: [echo.url] },
      { path: '/down', rewritePrefix: '/', upstreams: [streaming.url] },
      { path: '/ws', upstreams: [wsEcho.url] },
    ],
  });
  // The real listener's body limit is small; a proxied body must stream past it, not be parsed against it.
  await gw.listen({ port: 0, host: '127.0.0.1' });
  port = (gw.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await gw?.close();
  for (const b of backends) await b.stop();
});

/**
 * A full GC on demand. Every hop reads the stream into fresh buffers, so hundreds of MB of short-lived garbage
 * pass through; V8 collects it only once external memory has grown by tens of MB. Collecting before each
 * sample makes RSS show what is held, which is what buffering would grow.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Runs `transfer` while sampling memory after a GC: how far RSS rose above where it started, and the most
 * buffer memory (`external`) live at once.
 */
async function withRss<T>(transfer: () => Promise<T>): Promise<{ result: T; growth: number; held: number }> {
  gc();
  const base = process.memoryUsage.rss();
  let peak = base;
  let held = 0;
  const timer = setInterval(() => {
    gc();
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    held = Math.max(held, m.external);
  }, 25);
  try {
    const result = await transfer();
    return { result, growth: peak - base, held };
  } finally {
    clearInterval(timer);
  }
}

function send(method: string, path: string, body?: Readable, length?: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = length === undefined ? {} : { 'content-type': 'application/octet-stream', 'content-length': String(length) };
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, resolve);
    req.on('error', reject);
    if (body) pipeline(body, req).catch(reject);
    else req.end();
  });
}

async function drain(res: IncomingMessage): Promise<{ bytes: number; text: string }> {
  let bytes = 0;
  let text = '';
  for await (const chunk of res as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (text.length < 4096) text += chunk.toString();
  }
  return { bytes, text };
}

describe('proxy streaming', () => {
  it('streams a 200 MB upload without buffering it', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    const { result, growth, held } = await withRss(async () => {
      const res = await send('POST', '/up/file', Readable.from(byteChunks(chunk, SIZE)), SIZE);
      return { status: res.statusCode, ...(await drain(res)) };
    });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.text)).toMatchObject({ method: 'POST', url: '/up/file', bodyBytes: SIZE });
    expect(growth).toBeLessThan(RSS_BUDGET);
    expect(held).toBeLessThan(HELD_BUDGET);
  });

  it('streams a 200 MB download without buffering it', async () => {
    const { result, growth, held } = await withRss(async () => drain(await send('GET', `/down/bytes/${SIZE}`)));
    expect(result.bytes).toBe(SIZE);
    expect(growth).toBeLessThan(RSS_BUDGET);
    expect(held).toBeLessThan(HELD_BUDGET);
  });
});

describe('proxy WebSockets', () => {
  it('relays a WebSocket both ways, with the forwarding headers', async () => {
    const socket: WsSocket = new ws.WebSocket(`ws://127.0.0.1:${port}/ws/chat?room=1`);
    const messages: string[] = [];
    const waiters: (() => void)[] = [];
    socket.on('message', (data) => {
      messages.push(data.toString());
      waiters.splice(0).forEach((w) => w());
    });
    const nth = (n: number) =>
      new Promise<string>((resolve, reject) => {
        const check = () => (messages.length >= n ? resolve(messages[n - 1] ?? '') : waiters.push(check));
        socket.once('error', reject);
        check();
      });
    try {
      const hello = JSON.parse(await nth(1)) as { url: string; headers: Record<string, string> };
      expect(hello.url).toBe('/ws/chat?room=1');
      expect(hello.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(hello.headers['x-request-id']).toBeTruthy();
      socket.send('ping-1');
      expect(await nth(2)).toBe('ping-1');
      socket.send('ping-2');
      expect(await nth(3)).toBe('ping-2');
    } finally {
      const closed = new Promise<void>((resolve) => socket.once('close', resolve));
      socket.close();
      await closed;
    }
  });
});
