import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { assign } from '../src/experiments/assign.js';
import { startHtml, type Backend } from './helpers/backends.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

// As in browser.test.ts: Debian's chromium, kept off the network.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PERSON = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const pageOf = (variant: string) =>
  `<!doctype html><title>landing</title><h1 id="headline">${variant} headline</h1>
   <script src="/track.js" data-auto="false"></script>
   <script>document.getElementById('headline').dataset.seen = gatehouse.variant('landing') || 'none';</script>`;
const landing = {
  name: 'landing',
  paths: ['/landing/*'],
  variants: [
    { name: 'control', weight: 50 },
    { name: 'bold', weight: 50 },
  ],
  goals: [{ name: 'signup', ename: 'signup' }],
};

let control: Backend;
let bold: Backend;
let gw: TestGateway;
let browser: Browser;

beforeAll(async () => {
  [control, bold] = await Promise.all([startHtml(pageOf('control')), startHtml(pageOf('bold'))]);
  gw = await startGateway({
    proxy: { routes: [{ path: '/landing', upstreams: [control.url] }] },
    experiments: { list: [{ ...landing, variants: [landing.variants[0], { ...landing.variants[1], upstream: bold.url }] }] },
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  await Promise.all([control?.stop(), bold?.stop()]);
});

const exp = { ...landing, enabled: true, hosts: [], unit: 'vid' as const };

/** Opens /landing/ as a visitor (with this vid cookie, or a first visit) and checks what it was served. */
async function visit(vid?: string): Promise<string> {
  // Headless Chromium names itself in its user agent, and bots are left out of results: this one is a person.
  const context = await browser.newContext({ baseURL: gw.url, userAgent: PERSON });
  if (vid) await context.addCookies([{ name: 'vid', value: vid, url: gw.url }]);
  const page = await context.newPage();
  const response = await page.goto('/landing/', { waitUntil: 'domcontentloaded' });
  const unit = (await context.cookies()).find((c) => c.name === 'vid')?.value ?? '';
  const expected = assign(exp, unit);
  // The HTML of the first response is already the variant's: nothing switches it in the browser.
  expect(await response?.text()).toContain(`${expected} headline`);
  expect(await page.locator('#headline').getAttribute('data-seen')).toBe(expected);
  expect(await page.evaluate(() => (globalThis as unknown as { gatehouse: { variant(n: string): string | undefined } }).gatehouse.variant('landing'))).toBe(expected);
  // A reload keeps the variant.
  await page.reload({ waitUntil: 'domcontentloaded' });
  expect(await page.locator('#headline').textContent()).toBe(`${expected} headline`);
  await context.close();
  return expected;
}

describe('experiments in a real browser', () => {
  it('serves each variant on the first paint, and track.js reads the same variant', async () => {
    for (const variant of ['control', 'bold']) {
      let i = 0;
      while (assign(exp, `browser-${i}`) !== variant) i++;
      expect(await visit(`browser-${i}`)).toBe(variant);
    }
  });

  it('assigns a first visit before its first paint', async () => {
    expect(['control', 'bold']).toContain(await visit());
  });

  it('the dashboard shows the results', async () => {
    // browser-… visitors of the first test: one per variant; the bold one converts.
    let i = 0;
    while (assign(exp, `browser-${i}`) !== 'bold') i++;
    await fetch(`${gw.url}/tr/v1/?ename=signup&vid=browser-${i}`, { headers: { 'user-agent': PERSON } });
    await gw.events(1, { ename: 'signup' });
    await gw.events(3, { ename: 'exposure' });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${gw.adminUrl}/admin/experiments.html`);
    const bold = page.locator('[data-experiment="landing"] table[data-goal="signup"] tr[data-variant="bold"] td');
    await bold.first().waitFor();
    expect(await bold.allTextContents()).toEqual(['bold', expect.stringMatching(/^[1-9]/), '1', expect.stringMatching(/^\d+\.\d{2}% \[/), expect.any(String), expect.any(String)]);
    expect(await page.locator('[data-experiment="landing"] .srm').textContent()).toMatch(/^Sample ratio: chi² /);
    await context.close();
  });
});
