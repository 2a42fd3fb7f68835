import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * Stand-ins for PostHog, Mixpanel, Amplitude and a webhook: real HTTP servers on port 0 that check every
 * request against the vendor's documented format, answer as scripted (or as the vendor would), and record
 * what they accepted. A request that breaks the format is answered 400 and listed in `violations`.
 */

export type VendorKind = 'posthog' | 'mixpanel' | 'amplitude' | 'webhook';

export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

export interface ReceivedRequest {
  readonly at: number;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly raw: string;
  readonly json: unknown;
  readonly status: number;
}

export interface Expectations {
  /** PostHog / Amplitude api_key. */
  readonly apiKey?: string;
  /** Mixpanel: the Authorization header's user:password; webhook: the HMAC secret. */
  readonly basicAuth?: string;
  readonly secret?: string;
  readonly path?: string;
}

export interface Receiver {
  readonly kind: VendorKind;
  url: string;
  readonly requests: ReceivedRequest[];
  readonly violations: string[];
  /** Events of the requests answered 2xx, in the vendor's own shape. */
  accepted(): Record<string, unknown>[];
  /** The vendor-side id of each accepted event (uuid, $insert_id, insert_id, eid). */
  acceptedIds(): string[];
  /** Answers the next requests with these replies, in order; then the vendor's success again. */
  script(...replies: (Reply | ((events: Record<string, unknown>[]) => Reply))[]): void;
  /** Holds every answer until the returned function is called (a slow vendor). */
  hold(): () => void;
  /** Stops listening (an outage); `start` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** `host`: the address to listen on (a bridge address, for senders in network namespaces). */
export async function startReceiver(kind: VendorKind, expect: Expectations = {}, host = '127.0.0.1'): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const violations: string[] = [];
  const accepted: Record<string, unknown>[] = [];
  const replies: (Reply | ((events: Record<string, unknown>[]) => Reply))[] = [];
  let held: Promise<void> | undefined;
  let port = 0;
  let server: Server | undefined;

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let bytes = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') bytes = gunzipSync(bytes);
    const raw = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://receiver');
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const problems = checkFormat(kind, expect, req, url, raw, json);
    const events = problems.length === 0 ? eventsOf(kind, json) : [];
    const scripted = replies.shift();
    let reply: Reply = problems.length > 0 ? { status: 400, body: { error: problems.join('; ') } } : successOf(kind, events.length);
    if (problems.length === 0 && scripted) reply = typeof scripted === 'function' ? scripted(events) : scripted;
    violations.push(...problems);
    if (held) await held;
    requests.push({ at: Date.now(), path: url.pathname, query: url.searchParams, headers: req.headers, raw, json, status: reply.status });
    if (reply.status >= 200 && reply.status < 300) accepted.push(...events);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  };

  const receiver: Receiver = {
    kind,
    url: '',
    requests,
    violations,
    accepted: () => [...accepted],
    acceptedIds: () => accepted.map((e) => idOf(kind, e)),
    script: (...r) => replies.push(...r),
    hold() {
      let release!: () => void;
      held = new Promise<void>((resolve) => (release = resolve));
      return () => {
        held = undefined;
        release();
      };
    },
    async start() {
      server = createServer((req, res) => void handler(req, res));
      await new Promise<void>((resolve) => (server as Server).listen(port, host, resolve));
      port = (server.address() as AddressInfo).port;
      receiver.url = `http://${host}:${port}`;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    close: () => receiver.stop(),
  };
  await receiver.start();
  return receiver;
}

function successOf(kind: VendorKind, n: number): Reply {
  if (kind === 'posthog') return { status: 200, body: { status: 'Ok' } };
  if (kind === 'mixpanel') return { status: 200, body: { code: 200, num_records_imported: n, status: 'OK' } };
  if (kind === 'amplitude') return { status: 200, body: { code: 200, events_ingested: n, payload_size_bytes: 0, server_upload_time: Date.now() } };
  return { status: 204 };
}

function idOf(kind: VendorKind, event: Record<string, unknown>): string {
  if (kind === 'posthog') return String(event.uuid);
  if (kind === 'mixpanel') return String((event.properties as Record<string, unknown>).$insert_id);
  if (kind === 'amplitude') return String(event.insert_id);
  return String(event.eid);
}

function eventsOf(kind: VendorKind, json: unknown): Record<string, unknown>[] {
  const body = json as Record<string, unknown>;
  if (kind === 'posthog') return body.batch as Record<string, unknown>[];
  if (kind === 'amplitude') return body.events as Record<string, unknown>[];
  return json as Record<string, unknown>[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The documented request format of each vendor; every problem found, as text. */
function checkFormat(kind: VendorKind, expect: Expectations, req: IncomingMessage, url: URL, raw: string, json: unknown): string[] {
  const p: string[] = [];
  const need = (ok: boolean, what: string) => ok || p.push(what);
  need(req.method === 'POST', `method ${req.method}`);
  need(String(req.headers['content-type']).startsWith('application/json'), 'content-type must be application/json');
  if (json === undefined) return [...p, 'body is not JSON'];
  if (kind === 'posthog') {
    // https://posthog.com/docs/api/capture#batch-events
    need(url.pathname === '/batch/', `path ${url.pathname}, expected /batch/`);
    const body = json as Record<string, unknown>;
    need(isObject(json) && body.api_key === expect.apiKey, 'api_key missing or wrong');
    need(Array.isArray(body.batch) && body.batch.length > 0, 'batch must be a non-empty array');
    for (const e of (Array.isArray(body.batch) ? body.batch : []) as Record<string, unknown>[]) {
      need(typeof e.event === 'string' && e.event !== '', 'event name missing');
      need(typeof e.distinct_id === 'string' || typeof (e.properties as Record<string, unknown>)?.distinct_id === 'string', 'distinct_id missing');
      need(isObject(e.properties), 'properties must be an object');
      need(typeof e.timestamp === 'string' && !Number.isNaN(Date.parse(e.timestamp)), 'timestamp must be ISO 8601');
      need(typeof e.uuid === 'string' && UUID.test(e.uuid), 'uuid must be a UUID');
    }
  } else if (kind === 'mixpanel') {
    // https://developer.mixpanel.com/reference/import-events
    need(url.pathname === '/import', `path ${url.pathname}, expected /import`);
    need(url.searchParams.get('strict') === '1', 'strict=1 missing');
    need(req.headers.authorization === `Basic ${Buffer.from(expect.basicAuth ?? '').toString('base64')}`, 'basic auth missing or wrong');
    need(Array.isArray(json) && json.length > 0 && json.length <= 2000, 'body must be an array of 1-2000 events');
    for (const e of (Array.isArray(json) ? json : []) as Record<string, unknown>[]) {
      const props = (e.properties ?? {}) as Record<string, unknown>;
      need(typeof e.event === 'string' && e.event !== '', 'event name missing');
      need(typeof props.time === 'number' && props.time > 1e12, 'properties.time must be epoch milliseconds');
      need(typeof props.distinct_id === 'string', 'properties.distinct_id missing');
      need(typeof props.$insert_id === 'string' && /^[A-Za-z0-9-]{1,36}$/.test(props.$insert_id), '$insert_id must be 1-36 alphanumerics or -');
    }
  } else if (kind === 'amplitude') {
    // https://amplitude.com/docs/apis/analytics/http-v2
    need(url.pathname === '/2/httpapi', `path ${url.pathname}, expected /2/httpapi`);
    const body = json as Record<string, unknown>;
    need(isObject(json) && body.api_key === expect.apiKey, 'api_key missing or wrong');
    const events = (Array.isArray(body.events) ? body.events : []) as Record<string, unknown>[];
    need(events.length > 0 && events.length <= 2000, 'events must hold 1-2000 events');
    need(raw.length <= 1024 * 1024, 'payload over 1 MB');
    for (const e of events) {
      need(typeof e.event_type === 'string' && e.event_type !== '', 'event_type missing');
      const id = e.user_id ?? e.device_id;
      need(typeof id === 'string' && id.length >= 5, 'user_id or device_id of at least 5 characters required');
      need(typeof e.time === 'number' && e.time > 1e12, 'time must be epoch milliseconds');
      need(typeof e.insert_id === 'string', 'insert_id missing');
    }
  } else {
    need(url.pathname === (expect.path ?? '/hook'), `path ${url.pathname}`);
    const signature = `sha256=${createHmac('sha256', expect.secret ?? '').update(raw).digest('hex')}`;
    need(req.headers['x-gatehouse-signature'] === signature, 'X-Gatehouse-Signature does not match the body');
    const ts = Number(req.headers['x-gatehouse-timestamp']);
    need(Number.isInteger(ts) && Math.abs(Date.now() / 1000 - ts) < 300, 'X-Gatehouse-Timestamp missing or stale');
    need(Array.isArray(json) && json.every((e) => isObject(e) && typeof e.eid === 'string'), 'body must be an array of events with eid');
  }
  return p;
}
