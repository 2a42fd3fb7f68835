import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from './gateway.js';
import { cursorAfter } from '../../src/sinks/duckdb/cursor.js';
import { MAX_LIMIT } from '../../src/sinks/duckdb/filter.js';
import type { TrackEvent } from '../../src/track/event.js';
import { isValidId } from '../../src/track/ids.js';
import { defaultConfig } from '../../src/settings/load.js';
import { CREDENTIALS, noFollow, startIngestGateway } from './ingest.js';
import { waitFor } from './wait.js';

/**
 * Property-based fuzzing of the ingestion routes through a real gateway: arbitraries for hostile input, one
 * request shape per route, and a ledger of what every answer promised, checked against the store at the end.
 */

/** Strings chosen to break things: built-in names, controls, lone surrogates, cookie syntax, sizes near limits. */
const SPECIAL = [
  '__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', 'valueOf', '\u0000', '\u007f', '😀',
  '\ud800', '\udfff', 'a;b=c; Domain=.evil.example; HttpOnly', '\r\nSet-Cookie: x=y', '"', '\\', '%', '%00', '',
  ' ', 'vid', 'sid', 'uid', 'params', 'email', 'url', 'ename', 'utm_source', '=cmd|calc', '\u2028', 'x'.repeat(200),
  'y'.repeat(9000),
  // Over spool.maxEventSize (96KB) alone, as a protocol event's `raw` keeps it: 413 EVENT_TOO_LARGE, nothing stored.
  'z'.repeat(100_000),
];

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SPECIAL),
  fc.string({ maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.string({ unit: codeUnit, maxLength: 12 }),
);

const leaf: fc.Arbitrary<unknown> = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

/** JSON-able values: scalars, small arrays and objects with hostile keys, a few levels deep. */
export const jsonish: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Fields of one event: known field names and hostile ones, with any values. */
export const eventFields = fc.dictionary(
  fc.oneof(fc.constantFrom('vid', 'sid', 'uid', 'did', 'ename', 'etyp', 'url', 'score', 'first', 'params', 'email', 'created', 'utm_source'), hostileString),
  jsonish,
  { maxKeys: 6 },
);

/** Flat string fields, as a query or REST tuples carry them. */
export const textFields = fc.dictionary(
  fc.oneof(fc.constantFrom('vid', 'sid', 'uid', 'ename', 'score', 'first', 'url', 'email', 'utm_source', 'igqp'), hostileString),
  hostileString,
  { maxKeys: 5 },
);

/** A JSON text that is not a plain value: nested beyond the limit, malformed, or with poisoning keys. */
export const hostileJsonText = fc.oneof(
  fc.integer({ min: 1, max: 20_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 1, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.constantFrom('', ' ', '{', '{"a":}', 'null', '[]', '"s"', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\ud800', '{"k":"\\udfff"}'),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** Keys that the builder reads as the event id (eid, its alias id, utm_eid); the fuzzer sets the id itself. */
export function withoutIdKeys<T>(fields: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = Object.create(null) as Record<string, T>;
  for (const [k, v] of Object.entries(fields)) if (k !== 'eid' && k !== 'id' && k !== 'utm_eid') out[k] = v;
  return out;
}

let counter = 0;
/** A fresh event id, valid for every route (8-64 of A-Za-z0-9_-). */
export const nextId = (tag: string) => `fz-${tag}-${process.pid}-${++counter}-${Date.now().toString(36)}`;

export interface FuzzRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Ids (eid, or GA4's params.fz marker) of the events the request carries. */
  readonly ids: readonly string[];
  /** A raw body whose event ids the fuzzer does not know: a 2xx stores one event with an id the gateway made. */
  readonly anonymous?: boolean;
  /**
   * A lenient route that still stores its event when it cannot read the request's fields (a short link counts the
   * click): that event then has an id of the gateway's and this origin, in place of the request's own id.
   */
  readonly fallbackOrigin?: string;
  /**
   * strict: a 2xx stores every event, a 4xx none. lenient: the route answers its GIF or redirect whatever the
   * tracking fields (pixel, redirect, short link): an event is then stored at most once.
   */
  readonly mode: 'strict' | 'lenient';
}

const COOKIES = defaultConfig().tracking.cookies;

/**
 * Whether a Set-Cookie is one the gateway makes: its visitor or session cookie, a plain id for value, and exactly
 * the attributes of the configuration (the ingest gateway's defaults: no Domain, no Secure), nothing from a request.
 */
function wellMadeCookie(header: string): boolean {
  const [pair = '', ...attributes] = header.split('; ');
  const eq = pair.indexOf('=');
  const name = pair.slice(0, eq);
  const maxAgeMs = name === COOKIES.visitorName ? COOKIES.visitorMaxAge : name === COOKIES.sessionName ? COOKIES.sessionTimeout : undefined;
  if (eq < 0 || maxAgeMs === undefined || !isValidId(pair.slice(eq + 1))) return false;
  return attributes.join('; ') === `Max-Age=${Math.floor(maxAgeMs / 1000)}; Path=/; SameSite=Lax`;
}

/** What each answer promised; `verify` checks the store against it. */
export class Ledger {
  readonly must = new Set<string>();
  readonly maybe = new Set<string>();
  readonly never = new Set<string>();
  readonly statuses = new Map<number, number>();
  /** Redirects answered (each Location checked against the allowlist). */
  redirects = 0;
  /** Set-Cookie headers seen (each checked by wellMadeCookie). */
  cookies = 0;
  /** Events accepted from raw bodies (ids made by the gateway). */
  anonymous = 0;
  /** Ids of answered requests with a fallbackOrigin, by that origin. */
  readonly fallbacks = new Map<string, string[]>();

  constructor(private readonly gw: TestGateway) {}

  /** Sends one request; asserts no 5xx and no hang, and records what the answer promised. */
  async send(req: FuzzRequest): Promise<number> {
    const res = await fetch(this.gw.url + req.path, noFollow({ method: req.method, headers: req.headers ?? {}, ...(req.body !== undefined ? { body: req.body } : {}) }));
    await res.arrayBuffer();
    this.statuses.set(res.status, (this.statuses.get(res.status) ?? 0) + 1);
    expect(res.status, `${req.method} ${req.path.slice(0, 80)}`).toBeLessThan(500);
    if (res.status >= 300 && res.status < 400) {
      // Redirects only to an allowed host (the ingest gateway's allowlist, where its short link also points).
      const location = res.headers.get('location') ?? '';
      expect(URL.canParse(location) && new URL(location).host === CREDENTIALS.redirectHost, `Location: ${location}`).toBe(true);
      this.redirects++;
    }
    for (const cookie of res.headers.getSetCookie()) {
      expect(wellMadeCookie(cookie), `Set-Cookie: ${cookie}`).toBe(true);
      this.cookies++;
    }
    const ok = res.status >= 200 && res.status < 400;
    for (const id of req.ids) (ok ? (req.mode === 'strict' ? this.must : this.maybe) : this.never).add(id);
    if (ok && req.anonymous) this.anonymous++;
    if (ok && req.fallbackOrigin) {
      const ids = this.fallbacks.get(req.fallbackOrigin) ?? [];
      ids.push(...req.ids);
      this.fallbacks.set(req.fallbackOrigin, ids);
    }
    return res.status;
  }

  /**
   * Every promise kept: a 2xx event stored exactly once, a lenient one at most once, a refused one not at all,
   * nothing stored that was not sent; then every export format works and /readyz is 200.
   */
  async verify(): Promise<void> {
    const answers = [...this.statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`);
    console.log(`fuzz: ${this.must.size} events accepted, ${this.maybe.size} lenient, ${this.never.size} refused; answers ${answers.join(', ')}; ${this.cookies} Set-Cookie and ${this.redirects} Location checked`);
    // A fuzzer whose requests were all refused (or all accepted) would prove little.
    expect(this.must.size, 'events accepted by the fuzzed requests').toBeGreaterThan(0);
    expect(this.never.size, 'events refused by the fuzzed requests').toBeGreaterThan(0);
    const sentinel = nextId('sentinel');
    // The fuzzed requests all come from one client and may have used up its tracking rate limit (a 429 stores
    // nothing): the sentinel is sent again, same id, once the limit has refilled.
    const status = await waitFor('the sentinel answered other than 429', async () => {
      const s = (await fetch(`${this.gw.url}/tr/v1/?eid=${sentinel}&ename=sentinel`)).status;
      return s === 429 ? undefined : s;
    });
    expect(status).toBe(200);
    this.must.add(sentinel);
    const keyOf = (e: { eid: string; params?: Record<string, string> }) => (e.params?.fz?.startsWith('fz-') ? e.params.fz : e.eid);
    const counts = new Map<string, number>();
    let stored: TrackEvent[] = [];
    await waitFor(`${this.must.size} accepted events in the store`, async () => {
      counts.clear();
      stored = await allEvents(this.gw);
      for (const e of stored) counts.set(keyOf(e), (counts.get(keyOf(e)) ?? 0) + 1);
      return [...this.must].every((id) => counts.has(id));
    });
    const wrong: string[] = [];
    for (const [id, n] of counts) {
      if (this.must.has(id) && n !== 1) wrong.push(`${id}: accepted, stored ${n} times`);
      else if (this.maybe.has(id) && n > 1) wrong.push(`${id}: stored ${n} times`);
      else if (this.never.has(id)) wrong.push(`${id}: refused, yet stored`);
    }
    expect(wrong).toEqual([]);
    // Events under ids of the gateway's: a fallback route's (at most one for each of its requests whose own id was
    // not stored), and the raw bodies' (exactly one each).
    const unknown = stored.filter((e) => !this.must.has(keyOf(e)) && !this.maybe.has(keyOf(e)));
    for (const [origin, ids] of this.fallbacks) {
      const made = unknown.filter((e) => e.origin === origin).length;
      expect(made, `${origin} events under ids of the gateway's`).toBeLessThanOrEqual(ids.filter((id) => !counts.has(id)).length);
    }
    const unexplained = unknown.filter((e) => !this.fallbacks.has(e.origin));
    const sample = unexplained.slice(0, 5).map((e) => JSON.stringify(e)).join('\n');
    expect(unexplained.length, `events stored that no 2xx accepted (${this.anonymous} raw bodies were); some:\n${sample}`).toBe(this.anonymous);
    for (const format of ['ndjson', 'csv', 'parquet'] as const) {
      const res = await fetch(`${this.gw.adminUrl}/admin/export?format=${format}`);
      const body = Buffer.from(await res.arrayBuffer()).toString('utf8');
      if (res.status !== 200) expect.fail(`${format} export: ${res.status} ${body.slice(0, 300)}\n${await exportCulprits(this.gw, stored, format)}`);
    }
    const listing = await fetch(`${this.gw.adminUrl}/admin/events?limit=1000`);
    expect(listing.status).toBe(200);
    await listing.arrayBuffer();
    expect((await fetch(`${this.gw.url}/readyz`)).status).toBe(200);
  }
}

/**
 * The events an export fails on, found by halving the receive-time range that fails (`since` inclusive, `until`
 * exclusive) down to one millisecond: the store's own export, with its error, and those events as JSON.
 */
async function exportCulprits(gw: TestGateway, events: readonly TrackEvent[], format: 'ndjson' | 'csv' | 'parquet'): Promise<string> {
  const times = [...new Set(events.map((e) => Date.parse(e.received)))].sort((a, b) => a - b);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-fuzz-export-'));
  let n = 0;
  const failure = async (from: number, to: number): Promise<string | undefined> => {
    try {
      await gw.store.exportEvents({ since: new Date(from).toISOString(), until: new Date(to).toISOString() }, format, join(dir, `try-${n++}`));
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  };
  try {
    let lo = 0;
    let hi = times.length; // the failing range: times[lo] up to (not including) times[hi], or the end
    const end = (i: number) => (i < times.length ? times[i]! : times.at(-1)! + 1);
    let error = await failure(times[lo]!, end(hi));
    if (error === undefined) return 'the store exports every range without an error';
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const left = await failure(times[lo]!, end(mid));
      if (left !== undefined) [hi, error] = [mid, left];
      else lo = mid;
    }
    const culprits = events.filter((e) => Date.parse(e.received) === times[lo]);
    return `the store's error: ${error}\nreceived at ${new Date(times[lo]!).toISOString()}:\n${culprits.map((e) => JSON.stringify(e)).join('\n')}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every stored event, a page at a time (a long campaign stores more than one page holds). */
async function allEvents(gw: TestGateway): Promise<TrackEvent[]> {
  const out: TrackEvent[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await gw.store.queryEvents({ limit: MAX_LIMIT, ...(before !== undefined ? { before } : {}) });
    out.push(...page);
    if (page.length < MAX_LIMIT) return out;
    before = cursorAfter(page.at(-1)!);
  }
}

/**
 * Runs for each property: enough to cover each route's shapes, few enough for a loaded 2-core machine. A longer
 * campaign sets FUZZ_RUNS (and FUZZ_SEED, a number or `random`): docs/input-limits.md, "How this is tested".
 */
export const FUZZ_RUNS = positiveIntegerEnv('FUZZ_RUNS') ?? 60;

/** A property's time limit: the suite's 60 s, or 20 ms a run for a campaign (requests take ~1-3 ms each here). */
const PROPERTY_TIMEOUT_MS = Math.max(60_000, FUZZ_RUNS * 20);

/**
 * A campaign (FUZZ_RUNS set) exempts the fuzzer's address from rate limiting: at thousands of runs most answers
 * would otherwise be 429s, which parse nothing. The suite's own runs keep the limits, so 429s are fuzzed too.
 */
const CAMPAIGN_OVERRIDES: Record<string, Record<string, unknown>> = process.env.FUZZ_RUNS ? { rateLimit: { allowCidrs: ['127.0.0.1/32', '::1/128'] } } : {};

/** The seed of the first property: FUZZ_SEED (a number, or `random`: a new one each run, printed), or the suite's own. */
function firstSeed(suiteSeed: number): number {
  const raw = process.env.FUZZ_SEED;
  if (raw === undefined || raw === '') return suiteSeed;
  const seed = raw === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be a whole number or "random", not ${JSON.stringify(raw)}`);
  console.log(`fuzz: first seed ${seed} (FUZZ_SEED=${seed} repeats this run), ${FUZZ_RUNS} runs a property`);
  return seed;
}

function positiveIntegerEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1, not ${JSON.stringify(raw)}`);
  return n;
}

export type Regression = readonly [name: string, request: (id: string) => FuzzRequest];

/**
 * One suite: a gateway with every ingestion surface, a property per route (seeds `seed`, `seed + 1`, ...),
 * the failures found so far as named cases, then the ledger checked against the store.
 */
export function fuzzRoutes(title: string, routes: Record<string, fc.Arbitrary<FuzzRequest>>, options: { seed: number; regressions?: readonly Regression[] }): void {
  const seed = firstSeed(options.seed);
  describe(title, () => {
    let gw: TestGateway | undefined;
    let ledger: Ledger;
    beforeAll(async () => {
      gw = await startIngestGateway(CAMPAIGN_OVERRIDES);
      ledger = new Ledger(gw);
    });
    afterAll(async () => gw?.stop());

    Object.entries(routes).forEach(([name, arbitrary], i) => {
      it(`${name}: never a 5xx or a hang`, async () => {
        await fc.assert(fc.asyncProperty(arbitrary, (req) => ledger.send(req).then(() => undefined)), { seed: seed + i, numRuns: FUZZ_RUNS });
      }, PROPERTY_TIMEOUT_MS);
    });
    for (const [name, request] of options.regressions ?? []) {
      it(`regression, ${name}`, async () => {
        expect([200, 204, 302]).toContain(await ledger.send(request(nextId('reg'))));
      });
    }
    it('every answer kept its promise in the store; exports and readiness still work', async () => {
      await ledger.verify();
    });
  });
}
