import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startGateway, type TestGateway } from './helpers/gateway.js';

/**
 * The upstream tracker's browser client (test/fixtures/upstream/track-client.js reproduces its requests: text/plain
 * JSON with Authorization: Bearer null, epoch-ms `created`, "true"/"false" `first`) in Debian's headless Chromium,
 * from a page on another origin (a second HTTP server) and from the gateway's own origin. Every call is stored
 * exactly once with its fields.
 */

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CLIENT = readFileSync(new URL('./fixtures/upstream/track-client.js', import.meta.url), 'utf8');

/** The page an upstream site serves: its settings, the client, and a `tr()` on load as its apps call it. */
const pageHtml = (urlTrack: string) => `<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
<script>window.TRACKER_ENV = { URL_TRACK: ${JSON.stringify(urlTrack)}, APP_NAME: 'shop', RELEASE: '2.1' };</script>
<script src="/track-client.js"></script></head>
<body><h1>Pricing</h1><script>tr({ ename: 'visit' });</script></body></html>`;

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => browser?.close());

/** Runs the visitor's journey on `pageUrl` and checks what the gateway stored. */
async function journey(gw: TestGateway, pageUrl: string): Promise<void> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sent: { url: string; headers: Record<string, string> }[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') sent.push({ url: r.url(), headers: r.headers() });
  });
  await page.goto(`${pageUrl}/?utm_campaign=winter&aff=partner-1`, { waitUntil: 'load' });
  await settled(page);
  await page.evaluate(() => (globalThis as unknown as { tr: (p: object, force?: boolean) => void }).tr({ ename: 'signup', score: 6, plan: 'pro' }, true));
  await page.evaluate(() => (globalThis as unknown as { tr: (p: object, force?: boolean) => void }).tr({ ename: 'marker' }, true));
  // A cross-origin request with Authorization is preflighted: a refused preflight would show as status 0.
  const statuses = await settled(page);
  expect(statuses).toEqual([200, 200, 200]);
  expect(sent).toHaveLength(3);
  for (const r of sent) {
    expect(r.url).toBe(`${gw.url}/tr/v1/`);
    expect(r.headers).toMatchObject({ authorization: 'Bearer null', 'content-type': 'text/plain' });
  }

  const cookies = Object.fromEntries((await context.cookies(pageUrl)).map((c) => [c.name, c.value]));
  const vid = cookies.vid ?? '';
  expect(vid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  await gw.events(1, { ename: 'marker', vid });
  const events = await gw.store.queryEvents({ vid });
  expect(events.map((e) => e.ename).sort()).toEqual(['marker', 'signup', 'visit']);

  const visit = events.find((e) => e.ename === 'visit');
  const signup = events.find((e) => e.ename === 'signup');
  const common = { vid, sid: cookies.sess, app: 'shop', rel: '2.1', device: 'Desktop', os: 'Linux', url: `${pageUrl}/`, origin: 'track', aff: 'partner-1', ua_browser: expect.stringMatching(/Chrom/) };
  expect(visit).toMatchObject({ ...common, first: true, duration: 0, w: expect.any(Number), h: expect.any(Number), tz: expect.any(String) });
  expect(visit?.params).toEqual({ utm_campaign: 'winter', aff: 'partner-1', user_agent: expect.stringMatching(/Chrom/) });
  expect(Date.now() - Date.parse(visit?.created ?? '')).toBeLessThan(120_000);
  expect(signup).toMatchObject({ ...common, first: false, score: 6, last: `${pageUrl}/` });
  expect(signup?.params).toMatchObject({ plan: 'pro', utm_campaign: 'winter' });
  await context.close();
}

/** Waits for every request the client has sent so far; returns their statuses. */
async function settled(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const results = await Promise.all((globalThis as unknown as { __trackerResults: Promise<{ status: number }>[] }).__trackerResults);
    return results.map((r) => r.status);
  });
}

describe("the upstream tracker's browser client in Chromium", () => {
  it('cross-origin: the page on another origin, its Authorization preflight allowed, each event stored once', async () => {
    let site: Server | undefined;
    let gw: TestGateway | undefined;
    try {
      let html = '';
      site = createServer((req, res) => {
        const js = req.url === '/track-client.js';
        res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html; charset=utf-8' });
        res.end(js ? CLIENT : html);
      });
      await new Promise<void>((resolve) => site?.listen(0, '127.0.0.1', resolve));
      const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
      gw = await startGateway({ tracking: { cors: { allowOrigins: [siteUrl] } } });
      html = pageHtml(gw.url);
      await journey(gw, siteUrl);
    } finally {
      await gw?.stop();
      site?.closeAllConnections();
      await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
    }
  });

  it('same-origin: the page served by the gateway itself', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gatehouse-upstream-site-'));
    let gw: TestGateway | undefined;
    try {
      writeFileSync(join(root, 'index.html'), pageHtml(''));
      writeFileSync(join(root, 'track-client.js'), CLIENT);
      gw = await startGateway({ static: { root } });
      await journey(gw, gw.url);
    } finally {
      await gw?.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
