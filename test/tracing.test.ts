import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEcho, startWsEcho, ws, type Backend } from './helpers/backends.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './helpers/otlp-receiver.js';
import { waitFor } from './helpers/wait.js';

const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;
const ERROR = 2;

// A caller's trace: what a traced backend or browser would send.
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const CALLER = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;

interface Echoed {
  readonly headers: Record<string, string | undefined>;
}

function parentOf(traceparent: string | undefined): { traceId: string; spanId: string } {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(traceparent ?? '');
  if (!m) throw new Error(`not a traceparent: ${traceparent}`);
  return { traceId: m[1]!, spanId: m[2]! };
}

async function track(url: string, ename: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(`${url}/tr/v1/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ ename }),
  });
  await res.arrayBuffer();
  return res;
}

describe('tracing: OpenTelemetry spans over OTLP/HTTP', () => {
  let collector: OtlpReceiver;
  let backend: Backend;
  let wsEcho: Backend;
  let gw: TestGateway;

  beforeAll(async () => {
    collector = await startOtlpReceiver();
    backend = await startEcho('app');
    wsEcho = await startWsEcho();
    gw = await startGateway({
      tracing: { enabled: true, endpoint: collector.url, headers: { 'x-collector-key': 'k-123456' }, serviceName: 'edge-1', exportInterval: '100ms' },
      proxy: { routes: [{ path: '/app/', upstreams: [backend.url] }, { path: '/live', upstreams: [wsEcho.url] }] },
      // The echo backend answers JSON: counted as page views here, so a proxied request also stores an event.
      tracking: { pageViews: { enabled: true, match: ['application/json'] } },
    });
  });

  afterAll(async () => {
    await gw?.stop();
    await backend?.stop();
    await wsEcho?.stop();
    await collector?.close();
  });

  const spansOf = (traceId: string, n: number) =>
    waitFor(`${n} spans of trace ${traceId}`, () => {
      const found = collector.spans.filter((s) => s.traceId === traceId);
      return found.length >= n ? found : undefined;
    });
  const one = (spans: ReceivedSpan[], kind: number, name?: string) => {
    const found = spans.filter((s) => s.kind === kind && (name === undefined || s.name === name));
    expect(found, `one ${name ?? kind} span`).toHaveLength(1);
    return found[0]!;
  };

  it('continues a caller\'s trace on a tracking request: server span, spool commit child, trace_id stored', async () => {
    const res = await track(gw.url, 'traced-signup', { traceparent: CALLER, tracestate: 'vendor=abc' });
    expect(res.status).toBe(200);
    const [event] = await gw.events(1, { ename: 'traced-signup' });
    expect(event?.trace_id).toBe(CALLER_TRACE);

    const spans = await spansOf(CALLER_TRACE, 2);
    const server = one(spans, SERVER);
    expect(server.parentSpanId).toBe(CALLER_SPAN);
    // Named after the matched route pattern, as OpenTelemetry's HTTP conventions ask.
    expect(server.name).toBe('POST /tr/v1/');
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/tr/v1/',
      'url.path': '/tr/v1/',
      'http.response.status_code': 200,
      'gatehouse.route_class': 'tracking',
    });
    expect(server.status).not.toBe(ERROR);
    const commit = one(spans, INTERNAL, 'spool commit');
    expect(commit.parentSpanId).toBe(server.spanId);
    expect(commit.attributes['gatehouse.events']).toBe(1);
    // The commit happens inside the request.
    expect(commit.startNanos >= server.startNanos && commit.endNanos <= server.endNanos).toBe(true);
    expect(server.resource).toMatchObject({ 'service.name': 'edge-1', 'service.version': 'test' });
    // The configured headers reach the collector.
    expect(collector.exports.every((e) => e.headers['x-collector-key'] === 'k-123456')).toBe(true);
  });

  it('propagates its own span to the upstream: the proxy span is the upstream\'s parent, and the page view keeps the trace id', async () => {
    const res = await fetch(`${gw.url}/app/page?token=s3cret`);
    expect(res.status).toBe(200);
    const seen = parentOf(((await res.json()) as Echoed).headers.traceparent);

    const spans = await spansOf(seen.traceId, 3);
    const server = one(spans, SERVER);
    expect(server.parentSpanId).toBe('');
    expect(server.attributes).toMatchObject({ 'gatehouse.route_class': 'proxy', 'http.response.status_code': 200, 'url.path': '/app/page' });
    // The query string (keys, signatures) never reaches the trace backend.
    await waitFor('the export of this trace', () => collector.exports.some((e) => e.body.includes(seen.traceId)));
    expect(collector.exports.map((e) => e.body).join('\n')).not.toContain('s3cret');
    const proxy = one(spans, CLIENT, 'proxy');
    expect(proxy.parentSpanId).toBe(server.spanId);
    expect(seen.spanId).toBe(proxy.spanId);
    expect(proxy.attributes).toMatchObject({ 'gatehouse.upstream': backend.url, 'http.response.status_code': 200, 'http.request.method': 'GET' });
    // The page view's commit is in the same trace, and its event can be found from the backend's trace id.
    expect(one(spans, INTERNAL, 'spool commit').parentSpanId).toBe(server.spanId);
    const views = await gw.events(1, { ename: 'pageview' });
    expect(views.map((e) => [e.origin, e.trace_id])).toContainEqual(['pageview', seen.traceId]);
  });

  it('traces a proxied WebSocket: the handshake is the server span (101), the upstream gets the proxy span as parent', async () => {
    const traceId = 'c'.repeat(32); // this test's own trace
    const socket = new ws.WebSocket(`${gw.url.replace('http', 'ws')}/live/chat?token=s3cret`, { headers: { traceparent: `00-${traceId}-${CALLER_SPAN}-01` } });
    const first = await new Promise<string>((resolve, reject) => {
      socket.once('error', reject);
      socket.on('message', (data) => resolve(data.toString()));
    });
    const seen = parentOf((JSON.parse(first) as Echoed).headers.traceparent);
    expect(seen.traceId).toBe(traceId);
    const closed = new Promise<void>((resolve) => socket.once('close', resolve));
    socket.close();
    await closed;
    // The proxy span ends with the connection: both are exported once it is closed.
    const spans = await spansOf(traceId, 2);
    const server = one(spans, SERVER);
    expect(server.parentSpanId).toBe(CALLER_SPAN);
    expect(server.attributes).toMatchObject({ 'gatehouse.route_class': 'proxy', 'http.response.status_code': 101, 'url.path': '/live/chat' });
    const proxy = one(spans, CLIENT, 'proxy');
    expect(proxy.parentSpanId).toBe(server.spanId);
    expect(seen.spanId).toBe(proxy.spanId);
    expect(proxy.attributes).toMatchObject({ 'gatehouse.upstream': wsEcho.url, 'http.request.method': 'GET' });
  });

  it('replaces a client\'s traceparent towards the upstream with a child of it, keeping its tracestate', async () => {
    const res = await fetch(`${gw.url}/app/x`, { headers: { traceparent: CALLER, tracestate: 'vendor=abc' } });
    const echoed = ((await res.json()) as Echoed).headers;
    const seen = parentOf(echoed.traceparent);
    expect(seen.traceId).toBe(CALLER_TRACE);
    expect(seen.spanId).not.toBe(CALLER_SPAN);
    expect(echoed.tracestate).toBe('vendor=abc');
  });

  it('starts a new trace for a malformed traceparent, and stores the new trace id', async () => {
    for (const bad of [`00-${'0'.repeat(32)}-${CALLER_SPAN}-01`, `00-${CALLER_TRACE.toUpperCase()}-${CALLER_SPAN}-01`, 'garbage']) {
      const res = await track(gw.url, 'bad-parent', { traceparent: bad });
      expect(res.status).toBe(200);
    }
    const events = await gw.events(3, { ename: 'bad-parent' });
    const ids = events.map((e) => e.trace_id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(ids).not.toContain(CALLER_TRACE);
    expect(new Set(ids).size).toBe(3);
    // Each is the id of the gateway's own root span.
    for (const id of ids) expect(one(await spansOf(id!, 2), SERVER).parentSpanId).toBe('');
  });

  it('marks a 5xx answer as an error, and a failed upstream call on its proxy span', async () => {
    const down = await startEcho('down');
    await down.stop();
    const lonely = await startGateway({
      tracing: { enabled: true, endpoint: collector.url, exportInterval: '100ms' },
      proxy: { routes: [{ path: '/gone/', upstreams: [down.url] }] },
    });
    try {
      const res = await fetch(`${lonely.url}/gone/x`, { headers: { traceparent: `00-${'a'.repeat(32)}-${CALLER_SPAN}-01` } });
      expect(res.status).toBe(502);
      const spans = await spansOf('a'.repeat(32), 2);
      const server = one(spans, SERVER);
      expect(server.status).toBe(ERROR);
      expect(server.attributes['http.response.status_code']).toBe(502);
      const proxy = one(spans, CLIENT, 'proxy');
      expect(proxy.status).toBe(ERROR);
      expect(proxy.attributes['error.type']).toBe('ECONNREFUSED');
    } finally {
      await lonely.stop();
    }
  });

  it('counts the exports a collector does not take, and goes on serving', async () => {
    const gone = await startOtlpReceiver();
    await gone.close();
    const orphan = await startGateway({ tracing: { enabled: true, endpoint: gone.url, exportInterval: '100ms', exportTimeout: '1s' } });
    try {
      expect((await track(orphan.url, 'no-collector')).status).toBe(200);
      await waitFor('a failed export counted', async () => {
        const metrics = await (await fetch(`${orphan.adminUrl}/metrics`)).text();
        return /^gatehouse_trace_export_failed_total [1-9]/m.test(metrics);
      });
      expect((await orphan.events(1, { ename: 'no-collector' }))[0]?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      await orphan.stop();
    }
  });

  it('sends well-formed exports only', () => {
    expect(collector.violations).toEqual([]);
  });
});

describe('tracing off (the default)', () => {
  let backend: Backend;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startEcho('app');
    gw = await startGateway({ proxy: { routes: [{ path: '/app/', upstreams: [backend.url] }] } });
  });

  afterAll(async () => {
    await gw?.stop();
    await backend?.stop();
  });

  it('still keeps a valid incoming trace id on the event, and nothing else', async () => {
    await track(gw.url, 'untraced', { traceparent: CALLER });
    await track(gw.url, 'untraced-bad', { traceparent: `01-${CALLER_TRACE}-${CALLER_SPAN}-01` });
    await track(gw.url, 'untraced-none');
    const events = await gw.events(3);
    const byName = new Map(events.map((e) => [e.ename, e.trace_id]));
    expect(byName.get('untraced')).toBe(CALLER_TRACE);
    expect(byName.get('untraced-bad')).toBeUndefined();
    expect(byName.get('untraced-none')).toBeUndefined();
    // An export keeps it.
    const out = join(gw.dir, 'export.ndjson');
    await gw.store.exportEvents({}, 'ndjson', out);
    const exported = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(exported.find((e) => e.ename === 'untraced')?.trace_id).toBe(CALLER_TRACE);
  });

  it('passes a client\'s traceparent to the upstream untouched', async () => {
    const res = await fetch(`${gw.url}/app/x`, { headers: { traceparent: CALLER } });
    expect(((await res.json()) as Echoed).headers.traceparent).toBe(CALLER);
  });

  it('loads no part of the OpenTelemetry SDK', async () => {
    const child = fileURLToPath(new URL('./tracing-modules.child.ts', import.meta.url));
    const run = async (mode: string) => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, mode], { timeout: 60_000 });
      return JSON.parse(stdout) as { status: number; resolved: string[] };
    };
    // prom-client looks for @opentelemetry/api itself (for exemplars), with or without tracing: not ours to count.
    const ours = (r: { resolved: string[] }) => r.resolved.filter((s) => s !== '@opentelemetry/api');
    const off = await run('off');
    expect(off.status).toBe(200);
    expect(ours(off)).toEqual([]);
    const on = await run('on');
    expect(on.status).toBe(200);
    expect(ours(on)).toEqual(expect.arrayContaining(['@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http']));
  });

  it('a client cannot set trace_id itself', async () => {
    const res = await fetch(`${gw.url}/tr/v1/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ename: 'forged', trace_id: CALLER_TRACE }),
    });
    await res.arrayBuffer();
    const [event] = await gw.events(1, { ename: 'forged' });
    expect(event?.trace_id).toBeUndefined();
  });
});
