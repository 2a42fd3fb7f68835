import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcho, type Backend } from './helpers/backends.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

/**
 * Request headers a client controls, fuzzed through the reverse proxy to a real upstream: whatever a client sends
 * (hop-by-hop fields in any case, Connection naming any field, claims about its address, duplicates), the upstream
 * gets the end-to-end fields exactly as sent and nothing hop-by-hop, named by Connection, or claimed by the client.
 * And the other way: whatever fields an upstream answers with, the client gets its end-to-end ones and no other.
 */

/**
 * Hop-by-hop fields (RFC 9110 7.6.1 and the ones proxies know), and Proxy-Authorization (meant for this hop).
 * Trailer is left out: Node's client refuses to send it on a request without a chunked body.
 */
const HOP_BY_HOP = ['keep-alive', 'proxy-connection', 'te', 'upgrade', 'proxy-authorization'];
/** What a client may claim about where it is; the gateway replaces or drops every one from an untrusted peer. */
const CLAIMS = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-prefix', 'x-forwarded-server', 'forwarded', 'x-real-ip', 'true-client-ip', 'cf-connecting-ip', 'x-client-ip', 'x-cluster-client-ip'];
const END_TO_END = ['x-e2e-a', 'x-e2e-b', 'accept', 'accept-language', 'user-agent', 'x-request-tag', 'cookie', 'authorization', 'if-none-match'];

/** A field value a client can put on the wire: visible ASCII and inner spaces (no CR, LF or NUL). */
const fieldValue = fc
  .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 24 })
  .chain((head) => fc.constantFrom(head, `${head} ${head}`, `${head}, 1.2.3.4`));

/** The name as a client might case it. */
const casing = (name: string) => fc.constantFrom(name, name.toUpperCase(), name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase()));

interface Sent {
  /** As written on the wire: a name with several values is sent as that many fields, in order. */
  readonly headers: Record<string, string[]>;
  /** Lower-case names the client's Connection field lists. */
  readonly named: ReadonlySet<string>;
}

const sent: fc.Arbitrary<Sent> = fc
  .tuple(
    fc.array(fc.constantFrom(...HOP_BY_HOP, ...CLAIMS, ...END_TO_END), { maxLength: 10 }).chain((names) => fc.tuple(...names.map((n) => fc.tuple(casing(n), fieldValue)))),
    fc.uniqueArray(fc.constantFrom(...END_TO_END, ...CLAIMS, 'keep-alive', 'close'), { maxLength: 3 }),
  )
  .map(([fields, connection]) => {
    const headers: Record<string, string[]> = { host: ['www.example.com'] };
    const keys = new Map<string, string>(); // a name's first casing is the one Node's client writes
    for (const [name, value] of fields) {
      const key = keys.get(name.toLowerCase()) ?? name;
      keys.set(name.toLowerCase(), key);
      (headers[key] ??= []).push(value);
    }
    // Not "upgrade": with an Upgrade field that would ask for a protocol switch, another path than this one.
    if (connection.length > 0) headers.Connection = [connection.join(', ')];
    return { headers, named: new Set(connection) };
  });

/** Node's parser keeps the first of these when a message repeats them (`IncomingMessage.headers`). */
const FIRST_WINS = new Set(['user-agent', 'authorization', 'host', 'etag', 'expires', 'last-modified', 'age']);

/** A field's value as Node reads a message that carries it once or more (joined, the first, or a list). */
function readAs(name: string, headers: Record<string, string[]>): string | string[] | undefined {
  const values = Object.entries(headers).flatMap(([n, v]) => (n.toLowerCase() === name ? v : []));
  if (values.length === 0) return undefined;
  if (name === 'set-cookie') return values;
  if (FIRST_WINS.has(name)) return values[0];
  return values.join(name === 'cookie' ? '; ' : ', ');
}

/** Fields an upstream answers with: hop-by-hop ones, end-to-end ones (some repeated), Connection naming any. */
const RESPONSE_HOP_BY_HOP = ['keep-alive', 'proxy-connection', 'te', 'upgrade'];
const RESPONSE_END_TO_END = ['x-e2e-a', 'x-e2e-b', 'set-cookie', 'cache-control', 'etag', 'content-language', 'x-upstream-tag'];
const answered = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(...RESPONSE_HOP_BY_HOP, ...RESPONSE_END_TO_END), fieldValue), { maxLength: 10 }),
    fc.uniqueArray(fc.constantFrom(...RESPONSE_END_TO_END.filter((n) => n !== 'set-cookie'), 'keep-alive', 'close'), { maxLength: 3 }),
  )
  .map(([fields, connection]) => {
    const headers: Record<string, string[]> = {};
    for (const [name, value] of fields) (headers[name] ??= []).push(value);
    if (connection.length > 0) headers.connection = [connection.join(', ')];
    return { headers, named: new Set(connection) };
  });

/** An upstream that answers with the fields the request asks for (`x-answer`: base64url JSON). */
async function startAnswering(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const wanted = JSON.parse(Buffer.from(String(req.headers['x-answer']), 'base64url').toString('utf8')) as Record<string, string[]>;
    for (const [name, values] of Object.entries(wanted)) res.setHeader(name, values.length === 1 ? values[0]! : values);
    res.end('answered');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** One request on its own connection, as the client wrote it; the echo upstream answers with what it saw. */
function send(port: number, headers: Record<string, string[]>, path = '/app/page'): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const [name, values] of Object.entries(headers)) req.setHeader(name, values.length === 1 ? values[0]! : values);
    req.end();
  });
}

let echo: Backend;
let answering: { url: string; server: Server } | undefined;
let gw: TestGateway;
beforeAll(async () => {
  echo = await startEcho();
  answering = await startAnswering();
  gw = await startGateway({
    server: { listen: { host: '127.0.0.1', port: 0 }, trustedProxies: [] },
    static: { enabled: false },
    rateLimit: { enabled: false },
    proxy: { routes: [{ path: '/app', upstreams: [echo.url] }, { path: '/answer', upstreams: [answering.url] }] },
  });
});
afterAll(async () => {
  await gw?.stop();
  await echo?.stop();
  answering?.server.closeAllConnections();
  answering?.server.close();
});

describe('request headers through the reverse proxy, fuzzed', () => {
  it('the upstream gets the end-to-end fields as sent, and no hop-by-hop field, no field Connection names, no client claim', async () => {
    const port = Number(new URL(gw.url).port);
    await fc.assert(
      fc.asyncProperty(sent, async ({ headers, named }) => {
        const res = await send(port, headers);
        expect(res.status, res.body).toBe(200);
        const seen = (JSON.parse(res.body) as { headers: Record<string, string> }).headers;
        for (const name of HOP_BY_HOP) expect(seen[name], name).toBeUndefined();
        // (A claim it names is dropped too; the gateway's own X-Forwarded-* then stand in its place, checked below.)
        for (const name of named) if (END_TO_END.includes(name)) expect(seen[name], `${name}, named by Connection`).toBeUndefined();
        // The address the gateway saw, not a claim: an untrusted peer's are replaced or dropped.
        expect(seen['x-forwarded-for']).toBe('127.0.0.1');
        expect(seen['x-forwarded-proto']).toBe('http');
        expect(seen['x-forwarded-host']).toBe('www.example.com');
        for (const name of CLAIMS.filter((c) => c !== 'x-forwarded-for' && c !== 'x-forwarded-proto' && c !== 'x-forwarded-host')) {
          expect(seen[name], name).toBeUndefined();
        }
        expect(seen.host).toBe(new URL(echo.url).host);
        for (const name of END_TO_END) if (!named.has(name)) expect(seen[name], name).toBe(readAs(name, headers));
      }),
      { numRuns: 200 },
    );
  });

  it('the client gets the end-to-end fields an upstream answers with, and no hop-by-hop field or field its Connection names', async () => {
    const port = Number(new URL(gw.url).port);
    await fc.assert(
      fc.asyncProperty(answered, async ({ headers, named }) => {
        const ask = Buffer.from(JSON.stringify(headers)).toString('base64url');
        const res = await send(port, { host: ['www.example.com'], 'x-answer': [ask] }, '/answer/page');
        expect(res.status, res.body).toBe(200);
        expect(res.body).toBe('answered');
        for (const name of RESPONSE_HOP_BY_HOP) expect(res.headers[name], name).toBeUndefined();
        for (const name of named) if (RESPONSE_END_TO_END.includes(name)) expect(res.headers[name], `${name}, named by Connection`).toBeUndefined();
        for (const name of RESPONSE_END_TO_END) if (!named.has(name)) expect(res.headers[name], name).toEqual(readAs(name, headers));
      }),
      { numRuns: 200 },
    );
  });
});
