import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Request } from 'playwright-core';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { bundleSdks, launchVisitorChromium, startSite, visitorContext, writePage, type Site } from './helpers/sdk-pages.js';
import { waitFor } from './helpers/wait.js';
import type { TrackEvent } from '../src/track/event.js';

/**
 * The vendors' browser SDKs from npm, and our own www/track.js, in a real Chromium against a real gateway
 * (embedded pipeline, DuckDB). Each runs with its default options plus the one setting that names the
 * collector, from a page on another origin (a second HTTP server, "localhost" vs the gateway's 127.0.0.1) and
 * from the gateway's own origin. Every call (page view, custom event, identify) must be stored exactly once,
 * its id being the id the SDK sent, with page URL, referrer and properties mapped.
 *
 * Chromium is started to look like a visitor's browser (see launchVisitorChromium): posthog-js silently drops
 * every event when it detects automation.
 */

const WRITE_KEY = 'wk_browser_conformance';
const POSTHOG_TOKEN = 'phc_browser_conformance';
const REFERRER = 'http://referrer.test/landing?q=1';
const USER = 'user-42';

/** One event as the SDK put it on the wire: its id and the Gatehouse name it maps to. */
interface Sent {
  readonly eid: string;
  readonly ename: string;
}

interface Client {
  readonly name: string;
  /** Head of the test page; `collector` is the gateway's URL, `same` whether the page is served by it. */
  head(collector: string, same: boolean): string;
  /** The calls, through the SDK's own API. */
  drive(page: Page, collector: string): Promise<void>;
  /** The events a request to the collector carries. */
  decode(request: Request): Sent[];
  /** Gatehouse names of the page view, the custom event and the identify call. */
  readonly names: { page: string; track: string; identify?: string };
}

const json = (request: Request): unknown => {
  const body = request.postDataBuffer();
  if (!body) return undefined;
  const bytes = body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body;
  return JSON.parse(bytes.toString('utf8')) as unknown;
};
const items = (value: unknown): Record<string, unknown>[] => {
  if (Array.isArray(value)) return value as Record<string, unknown>[];
  const v = value as { batch?: unknown[]; data?: unknown[] } | undefined;
  return ((v?.batch ?? v?.data ?? (v ? [v] : [])) as Record<string, unknown>[]);
};

const clients: Client[] = [
  {
    name: 'snowplow',
    head: () => '<script src="snowplow.js"></script>',
    async drive(page, collector) {
      await page.evaluate((url) => {
        const sp = (globalThis as unknown as { snowplow: Record<string, (...a: unknown[]) => void> }).snowplow;
        sp.newTracker?.('sp', url);
        sp.trackPageView?.();
        sp.setUserId?.('user-42');
        sp.trackStructEvent?.({ category: 'plan', action: 'signed_up', label: 'pro', property: 'seats', value: 3 });
      }, collector);
    },
    decode: (request) =>
      items(json(request)).map((e) => ({ eid: String(e.eid), ename: e.e === 'pv' ? 'page_view' : String(e.se_ac ?? e.e) })),
    names: { page: 'page_view', track: 'signed_up' },
  },
  {
    name: 'segment',
    head: () => '<script src="segment.js"></script>',
    async drive(page, collector) {
      await page.evaluate(async ({ url, writeKey }) => {
        type Analytics = Record<string, (...a: unknown[]) => Promise<unknown>>;
        const load = (globalThis as unknown as { AnalyticsBrowser: { load(o: object): Analytics } }).AnalyticsBrowser.load;
        const analytics = load({ writeKey, cdnURL: url });
        await analytics.page?.();
        await analytics.track?.('Signed Up', { plan: 'pro', seats: 3 });
        await analytics.identify?.('user-42', { plan: 'pro' });
      }, { url: collector, writeKey: WRITE_KEY });
    },
    decode: (request) =>
      items(json(request)).map((m) => ({
        eid: String(m.messageId),
        ename: m.type === 'track' ? String(m.event) : m.type === 'page' ? String(m.name ?? 'page') : String(m.type),
      })),
    names: { page: 'page', track: 'Signed Up', identify: 'identify' },
  },
  {
    name: 'posthog',
    head: () => '<script src="posthog.js"></script>',
    async drive(page, collector) {
      await page.evaluate(({ url, token }) => {
        const posthog = (globalThis as unknown as { posthog: Record<string, (...a: unknown[]) => unknown> }).posthog;
        posthog.init?.call(posthog, token, { api_host: url });
        posthog.capture?.call(posthog, 'signed_up', { plan: 'pro', seats: 3 });
        posthog.identify?.call(posthog, 'user-42');
      }, { url: collector, token: POSTHOG_TOKEN });
    },
    decode: (request) => {
      if (!/\/(e|i\/v0\/e|capture|batch)\/?(\?|$)/.test(new URL(request.url()).pathname + '?')) return [];
      return items(json(request)).map((e) => ({ eid: String(e.uuid), ename: String(e.event) }));
    },
    names: { page: '$pageview', track: 'signed_up', identify: '$identify' },
  },
  {
    name: 'track.js',
    // The script's own URL is the one setting: its endpoint defaults to /tr/v1/ on the script's origin.
    head: (collector, same) => `<script src="${same ? '' : collector}/track.js"></script>`,
    async drive(page) {
      await page.evaluate(async () => {
        const gh = (globalThis as unknown as { gatehouse: Record<string, (...a: unknown[]) => unknown> }).gatehouse;
        gh.track?.('signed_up', { params: { plan: 'pro', seats: 3 } });
        gh.identify?.('user-42');
        await gh.flush?.();
      });
    },
    decode: (request) => items(json(request)).map((e) => ({ eid: String(e.eid), ename: String(e.ename) })),
    names: { page: 'load', track: 'signed_up', identify: 'identify' },
  },
];

let dir: string;
let site: Site;
let anyOrigin: TestGateway;
let listedOrigin: TestGateway;
let browser: Browser;

const gatewayConfig = (allowOrigins: string[]) => ({
  tracking: { cors: { allowOrigins } },
  static: { root: dir },
  protocols: {
    segment: { enabled: true, writeKeys: [{ name: 'site', key: WRITE_KEY }] },
    snowplow: { enabled: true },
    posthog: { enabled: true },
  },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-sdks-'));
  await bundleSdks(dir);
  site = await startSite(dir);
  [anyOrigin, listedOrigin, browser] = await Promise.all([
    startGateway(gatewayConfig(['*'])),
    startGateway(gatewayConfig([site.url])),
    launchVisitorChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([anyOrigin?.stop(), listedOrigin?.stop(), site?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs one client on one page and returns what it sent and what the store holds for that page. */
async function run(client: Client, gw: TestGateway, mode: 'cross' | 'same', label: string) {
  const file = `${client.name.replace('.', '-')}-${label}.html`;
  writePage(dir, file, client.head(gw.url, mode === 'same'));
  const pageUrl = `${mode === 'same' ? gw.url : site.url}/${file}`;
  const context = await visitorContext(browser);
  const page = await context.newPage();
  const sent = new Map<string, Sent>();
  // Anything the SDK asked of the gateway that failed (an error status, a CORS refusal): none is expected.
  const failures: string[] = [];
  page.on('response', (response) => {
    if (!response.url().startsWith(gw.url)) return;
    if (response.status() >= 400) failures.push(`${response.request().method()} ${response.url()}: ${response.status()}`);
  });
  page.on('requestfailed', (request) => {
    if (request.url().startsWith(gw.url)) failures.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(gw.url) || request.method() !== 'POST') return;
    for (const s of client.decode(request)) sent.set(s.eid, s);
  });
  try {
    await page.goto(pageUrl, { waitUntil: 'load', referer: REFERRER });
    expect(await page.evaluate(() => (globalThis as { navigator?: { webdriver?: boolean } }).navigator?.webdriver)).toBe(false);
    await client.drive(page, gw.url);
    const names = Object.values(client.names);
    await waitFor(`${client.name} to send ${names.join(', ')}`, () => names.every((n) => [...sent.values()].some((s) => s.ename === n)));
    const rows = await waitFor(`${client.name}'s ${sent.size} events in the store`, async () => {
      const all = await gw.store.queryEvents({ limit: 10_000 });
      return [...sent.keys()].every((eid) => all.some((e) => e.eid === eid)) ? all : undefined;
    });
    return { sent, rows, pageUrl, failures };
  } finally {
    await context.close();
  }
}

const scenarios = [
  { label: 'cross-any', mode: 'cross', gw: () => anyOrigin, what: 'from another origin, allowOrigins ["*"]' },
  { label: 'cross-listed', mode: 'cross', gw: () => listedOrigin, what: 'from another origin, its origin listed' },
  { label: 'same', mode: 'same', gw: () => anyOrigin, what: 'from the gateway\'s own origin' },
] as const;

describe.each(clients)('$name in Chromium', (client) => {
  // Generous on a loaded machine: the waits inside (60 s each) fail first, saying what never happened.
  it.each(scenarios)('stores every call once, mapped, $what', { timeout: 150_000 }, async ({ label, mode, gw }) => {
    const { sent, rows, pageUrl, failures } = await run(client, gw(), mode, label);
    expect(failures).toEqual([]);
    const mine: TrackEvent[] = [];
    for (const [eid, s] of sent) {
      const copies = rows.filter((e) => e.eid === eid);
      expect(copies, `${s.ename} ${eid} stored once`).toHaveLength(1);
      expect(copies[0]?.ename).toBe(s.ename);
      mine.push(copies[0] as TrackEvent);
    }
    // Once per call: no second row under another id either (a retry must reuse its id).
    const onPage = rows.filter((e) => e.url === pageUrl);
    for (const name of Object.values(client.names)) expect(onPage.filter((e) => e.ename === name), name).toHaveLength(1);
    const byName = (name: string) => mine.filter((e) => e.ename === name);
    const [view] = byName(client.names.page);
    expect(view).toMatchObject({ etyp: 'page', url: pageUrl, last: REFERRER });
    const [custom] = byName(client.names.track);
    expect(custom).toMatchObject({ url: pageUrl, last: REFERRER });
    expect(custom?.params).toMatchObject(client.name === 'snowplow' ? { category: 'plan', label: 'pro', property: 'seats', value: '3' } : { plan: 'pro', seats: '3' });
    const identified = client.names.identify ? byName(client.names.identify)[0] : custom;
    expect(identified?.uid).toBe(USER);
  });
});
