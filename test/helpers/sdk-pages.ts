import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/**
 * What the browser conformance suite needs around the vendors' SDKs: each SDK from npm bundled with esbuild
 * the way a site would ship it, a second real HTTP server (another origin) serving the same pages, and a
 * Chromium that looks like a visitor's.
 */

/** Each SDK's npm entry, exposed on `window` so a page script (or page.evaluate) can drive it. */
const ENTRIES = {
  snowplow: `import * as sp from '@snowplow/browser-tracker'; window.snowplow = sp;`,
  segment: `import { AnalyticsBrowser } from '@segment/analytics-next'; window.AnalyticsBrowser = AnalyticsBrowser;`,
  posthog: `import posthog from 'posthog-js'; window.posthog = posthog;`,
} as const;

export type BundledSdk = keyof typeof ENTRIES;

/** Writes `<sdk>.js` for every SDK, and a copy of www/track.js, into `dir`. */
export async function bundleSdks(dir: string): Promise<void> {
  await Promise.all(
    Object.entries(ENTRIES).map(([name, contents]) =>
      build({
        stdin: { contents, resolveDir: process.cwd(), loader: 'js' },
        bundle: true,
        format: 'iife',
        platform: 'browser',
        target: 'chrome120',
        outfile: join(dir, `${name}.js`),
        define: { 'process.env.NODE_ENV': '"production"' },
        logLevel: 'silent',
      }),
    ),
  );
  copyFileSync(join(process.cwd(), 'www', 'track.js'), join(dir, 'track.js'));
}

/** A page with a title and the given head scripts. */
export function writePage(dir: string, name: string, head: string): void {
  writeFileSync(join(dir, name), `<!doctype html><html><head><meta charset="utf-8"><title>${name}</title>${head}</head><body><h1>${name}</h1></body></html>`);
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

export interface Site {
  readonly url: string;
  stop(): Promise<void>;
}

/** The "other origin": a plain static server for `dir`, on loopback, port 0. */
export async function startSite(dir: string): Promise<Site> {
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/')).replace(/^(\.\.[/\\])+/, '');
    try {
      const body = readFileSync(join(dir, path));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // "localhost" on purpose: another host name than the gateway's 127.0.0.1, so another site for cookies too.
    url: `http://localhost:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Debian's Chromium, started so that pages see a visitor's browser: posthog-js drops every event when it sees
 * automation (`navigator.webdriver`, "HeadlessChrome" in the user agent or its client-hint brands). So the
 * automation switch is left out, the AutomationControlled feature is off, and contexts get a desktop user agent.
 */
export async function launchVisitorChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    ignoreDefaultArgs: ['--enable-automation'],
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-blink-features=AutomationControlled',
    ],
  });
}

export async function visitorContext(browser: Browser): Promise<BrowserContext> {
  const major = browser.version().split('.')[0] ?? '120';
  return browser.newContext({
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36`,
    locale: 'en-US',
  });
}
