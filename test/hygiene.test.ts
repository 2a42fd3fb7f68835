import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { rawExchange as rawExchangeOn } from './helpers/net.js';

let gw: TestGateway;
let port: number;
beforeAll(async () => {
  gw = await startGateway({ server: { listen: { host: '127.0.0.1', port: 0 }, headersTimeout: '1s', requestTimeout: '2s', maxRequestsPerSocket: 2 } });
  port = Number(new URL(gw.url).port);
});
afterAll(async () => gw?.stop());

const rawExchange = (text: string) => rawExchangeOn(port, text);

/** Sends up to `n` requests one after another on one connection; returns the answers received before it closed. */
function sequentialExchange(n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const replies: string[] = [];
    let current = '';
    const send = () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.on('data', (d) => {
      current += d.toString();
      const end = current.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(current)?.[1] ?? 0);
      if (end >= 0 && current.length >= end + 4 + length) {
        replies.push(current);
        current = '';
        if (replies.length < n) send();
      }
    });
    socket.on('close', () => resolve(replies));
    socket.on('error', reject);
    send();
  });
}

describe('connection hygiene', () => {
  it('a client that never finishes its headers (slowloris) is cut off with 408', async () => {
    const reply = await rawExchange('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a client that never finishes its body is cut off', async () => {
    const reply = await rawExchange('POST /tr/v1/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ena');
    expect(reply).not.toMatch(/^HTTP\/1\.1 200 /);
  });

  it('a keep-alive connection is closed after maxRequestsPerSocket requests', async () => {
    const replies = await sequentialExchange(3);
    expect(replies[0]).toMatch(/^HTTP\/1\.1 200 [^]*connection: keep-alive/i);
    expect(replies[1]).toMatch(/^HTTP\/1\.1 200 [^]*connection: close/i);
    // The server closes the connection after that answer (RFC 9112 §9.6): no third request is read from it.
    expect(replies).toHaveLength(2);
  });

  it('requests pipelined past maxRequestsPerSocket are never read, nor their events stored', async () => {
    const request = 'GET /tr/v1/?ename=pipelined HTTP/1.1\r\nHost: x\r\n\r\n';
    const reply = await rawExchange(request.repeat(4));
    expect([...reply.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1])).toEqual(['200', '200']);
    expect((await fetch(`${gw.url}/tr/v1/?ename=pipeline_marker`)).status).toBe(200);
    await gw.events(1, { ename: 'pipeline_marker' });
    expect(await gw.store.countEvents({ ename: 'pipelined' })).toBe(2);
  });

  it('a malformed request line gets 400 and the server keeps serving', async () => {
    const reply = await rawExchange('GARBAGE\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
