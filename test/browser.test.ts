import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startGateway, type TestGateway } from './helpers/gateway.js';

// Debian's chromium, with the flags that keep it off the network (the machine has none beyond loopback).
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let gw: TestGateway;
let browser: Browser;

beforeAll(async () => {
  gw = await startGateway();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

describe('the demo page in a real browser', () => {
  it('sends the page view and a click that arrive in the store with the vid cookie on both', async () => {
    const context = await browser.newContext({ baseURL: gw.url });
    const page = await context.newPage();
    await page.goto('/', { waitUntil: 'load' });
    await page.click('button[data-track="signup_click"]');
    await page.click('#flush');

    const [load] = await gw.events(1, { ename: 'load' });
    const [click] = await gw.events(1, { ename: 'signup_click' });
    const vidCookie = (await context.cookies()).find((c) => c.name === 'vid');
    expect(vidCookie?.value).toBeTruthy();
    expect(load).toMatchObject({ etyp: 'page', vid: vidCookie?.value, origin: 'track' });
    expect(click).toMatchObject({ etyp: 'click', vid: vidCookie?.value, params: { plan: 'pro', position: 'hero' } });
    expect(click?.sid).toBe(load?.sid);
    expect(load?.ua_browser).toMatch(/Chrom/);

    const dir = join(process.cwd(), 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'demo-page.png'), fullPage: true });
    await context.close();
  });

  it('an SPA navigation is recorded as reroute with the previous URL as last', async () => {
    const context = await browser.newContext({ baseURL: gw.url });
    const page = await context.newPage();
    await page.goto('/', { waitUntil: 'load' });
    await page.click('#spa-link');
    await page.click('#flush');
    const [reroute] = await gw.events(1, { ename: 'reroute' });
    expect(reroute?.url).toMatch(/\/\?view=about$/);
    expect(reroute?.last).toBe(`${gw.url}/`);
    await context.close();
  });
});

