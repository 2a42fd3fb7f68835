import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { waitFor } from './helpers/wait.js';
import { CHROME_UA, IPHONE_UA, metric, send } from './admin-support.js';

// Debian's chromium, kept off the network (the machine has none beyond loopback).
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'dashboard-token-0001';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

let gw: TestGateway;
let browser: Browser;

beforeAll(async () => {
  gw = await startGateway({ admin: { listen: { host: '127.0.0.1', port: 0 }, token: TOKEN } });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  mkdirSync(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

describe('the admin dashboard in a real browser', () => {
  it('overview: asks for the token once, then shows the stats of events sent during the test', async () => {
    await send(gw, [
      { ename: 'view', vid: 'dash-a', url: 'https://site.example/', last: 'https://www.google.com/' },
      { ename: 'view', vid: 'dash-a', url: 'https://site.example/pricing' },
    ]);
    await send(gw, [{ ename: 'view', vid: 'dash-b', url: 'https://site.example/', campaign: 'launch', source: 'newsletter', medium: 'email' }], IPHONE_UA);
    await gw.events(3);

    const context = await browser.newContext({ baseURL: gw.adminUrl, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto('/admin/');
    await page.locator('#auth').waitFor({ state: 'visible' });
    await page.fill('#token', TOKEN);
    await page.click('#auth button');
    await page.locator('#totals .card').first().waitFor();
    expect(await page.locator('#totals .card').first().innerText()).toMatch(/Events\s+3/);
    expect(await page.locator('#tables').innerText()).toContain('https://site.example/pricing');
    expect(await page.locator('#tables').innerText()).toContain('launch (newsletter / email)');
    expect(await page.locator('svg.chart rect').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'admin-overview.png'), fullPage: true });

    // The token is kept for the tab: the next page does not ask again.
    await page.goto('/admin/?since=24h');
    await page.locator('#totals .card').first().waitFor();
    expect(await page.locator('#auth').isHidden()).toBe(true);
    await context.close();
  });

  it('live: shows events sent after the page opened, each expandable as JSON', async () => {
    const context = await browser.newContext({ baseURL: gw.adminUrl, viewport: { width: 390, height: 844 } });
    await context.addInitScript({ content: `sessionStorage.setItem('gatehouse.adminToken', ${JSON.stringify(TOKEN)});` });
    const page = await context.newPage();
    const viewers = await metric(gw, 'gatehouse_admin_live_viewers', { authorization: `Bearer ${TOKEN}` });
    await page.goto('/admin/live.html');
    await waitFor('the page to subscribe', async () => (await metric(gw, 'gatehouse_admin_live_viewers', { authorization: `Bearer ${TOKEN}` })) > viewers);
    const [eid] = await send(gw, [{ ename: 'live_signup', vid: 'dash-live', url: 'https://site.example/signup', params: { plan: 'pro' } }], CHROME_UA);
    const item = page.locator(`#events li[data-eid="${eid}"]`);
    await item.waitFor();
    expect(await item.locator('summary').innerText()).toContain('live_signup');
    await item.locator('summary').click();
    const json = JSON.parse(await item.locator('pre').innerText()) as { eid: string; params: Record<string, string> };
    expect(json).toMatchObject({ eid, params: { plan: 'pro' } });
    await page.screenshot({ path: join(ARTIFACTS, 'admin-live.png'), fullPage: true });
    await context.close();
  });
});
