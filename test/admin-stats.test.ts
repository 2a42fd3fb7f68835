import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/settings/load.js';
import { buildAdminApp } from '../src/gateway/admin-app.js';
import { createLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import type { StatsReport } from '../src/sinks/duckdb/index.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { BOT_UA, CHROME_UA, IPHONE_UA, admin, send } from './admin-support.js';

type Stats = StatsReport & { rejected: { reason: string; route: string; count: number }[] };
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => gw?.stop());

const SITE = 'https://site.example';
const get = (path: string, ua: string) => fetch(gw.url + path, { headers: { 'user-agent': ua }, redirect: 'manual' });

describe('GET /admin/stats', () => {
  it('reports exactly what was sent: totals, series, pages, referrers, channels, campaigns, devices, opens, clicks, bots, rejected', async () => {
    await send(gw, [
      { ename: 'view', vid: 'visitor-a', sid: 's-a', url: `${SITE}/home`, last: 'https://www.google.com/search?q=gatehouse' },
      { ename: 'view', vid: 'visitor-a', sid: 's-a', url: `${SITE}/home` },
      { ename: 'view', vid: 'visitor-a', sid: 's-a', url: `${SITE}/pricing` },
    ]);
    await send(gw, [
      { ename: 'view', vid: 'visitor-b', sid: 's-b', url: `${SITE}/home`, source: 'newsletter', medium: 'email', campaign: 'spring' },
      { ename: 'signup', vid: 'visitor-b', sid: 's-b', url: `${SITE}/signup`, source: 'newsletter', medium: 'email', campaign: 'spring' },
    ], IPHONE_UA);
    await send(gw, [{ ename: 'view', vid: 'crawler', url: `${SITE}/home` }, { ename: 'view', vid: 'crawler', url: `${SITE}/pricing` }], BOT_UA);
    expect((await get('/img/v1/?uid=reader-1&campaign=mail-spring', CHROME_UA)).status).toBe(200);
    expect((await get('/img/v1/?uid=reader-2&campaign=mail-spring', 'Mozilla/5.0')).status).toBe(200); // a mail privacy proxy
    const link = await admin(gw, '/admin/links', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'promo', url: 'https://example.com/offer' }) });
    expect(link.status).toBe(201);
    for (const ua of [CHROME_UA, IPHONE_UA, BOT_UA]) expect((await get('/promo', ua)).status).toBe(302);
    const bad = await fetch(`${gw.url}/tr/v1/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ename: 'bad', score: 'abc' }) });
    expect(bad.status).toBe(400);
    await gw.events(12);

    const { status, body: s } = await admin<Stats>(gw, '/admin/stats?since=1h');
    expect(status).toBe(200);
    expect(s.range.bucket).toBe('hour');
    // Humans: 3 (a) + 2 (b) + 1 pixel + 2 short link clicks; bots: 2 crawler + 1 machine open + 1 bot click.
    expect(s.totals.events).toBe(8);
    expect(s.series.reduce((n, p) => n + p.events, 0)).toBe(8);
    expect(s.series.length).toBeGreaterThanOrEqual(1);
    expect(s.pages).toContainEqual({ key: `${SITE}/home`, events: 3, visitors: 2 });
    expect(s.pages).toContainEqual({ key: `${SITE}/pricing`, events: 1, visitors: 1 });
    expect(s.referrers).toContainEqual({ key: 'www.google.com', events: 1, visitors: 1 });
    expect(s.channels.find((c) => c.key === 'search')?.events).toBe(1);
    expect(s.campaigns.find((c) => c.key === 'spring')).toEqual({ key: 'spring', source: 'newsletter', medium: 'email', events: 2, visitors: 1 });
    expect(s.devices.find((d) => d.key === 'mobile')?.events).toBe(3); // visitor b and one click
    expect(s.browsers.find((b) => /Chrome/.test(b.key))?.events).toBe(5); // visitor a, the human open, one click
    expect(s.emailOpens).toEqual({ human: 1, machine: 1 });
    expect(s.linkClicks).toEqual([{ slug: 'promo', clicks: 2, bots: 1 }]);
    expect(s.bots.filtered).toBe(4);
    expect(s.bots.byKind.find((k) => k.key === 'mail-privacy')?.events).toBe(1);
    expect(s.rejected).toContainEqual({ reason: 'invalid_fields', route: 'track', count: 1 });

    const empty = await admin<Stats>(gw, '/admin/stats?since=2000-01-01T00:00:00Z&until=2000-01-03T00:00:00Z&bucket=day');
    expect(empty.body.totals.events).toBe(0);
    expect(empty.body.series).toEqual([
      { t: '2000-01-01T00:00:00.000Z', events: 0, visitors: 0 },
      { t: '2000-01-02T00:00:00.000Z', events: 0, visitors: 0 },
    ]);
    const some = await admin<Partial<Stats>>(gw, '/admin/stats?reports=totals,emailOpens');
    expect(Object.keys(some.body).sort()).toEqual(['emailOpens', 'range', 'totals']);
  });

  it('rejects a bad range or bucket with 400', async () => {
    for (const q of ['bucket=week', 'since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z', 'reports=nope', 'top=0']) {
      expect((await admin(gw, `/admin/stats?${q}`)).status, q).toBe(400);
    }
  });
});

describe('cluster mode (no DuckDB store)', () => {
  it('answers 501 for the reports that need DuckDB, and the rejected counts it can give', async () => {
    const config = parseConfig({ log: { level: 'silent' } }, 'test', {});
    const logger = createLogger('silent');
    const app = await buildAdminApp({ config: config.admin, logger, telemetry: new Telemetry(logger), signingKey: '', redirectPrefix: '/rdr/v1', data: {} });
    try {
      const stats = await app.inject('/admin/stats');
      expect(stats.statusCode).toBe(501);
      expect(stats.json()).toMatchObject({ error: { code: 'NOT_SUPPORTED_BY_STORE', supported: ['rejected'] } });
      expect(stats.json().error.message).toMatch(/DuckDB/);
      expect((await app.inject('/admin/stats?reports=rejected')).json()).toMatchObject({ rejected: [] });
      for (const url of ['/admin/events', '/admin/export', '/admin/visitors/v', '/admin/events/live']) expect((await app.inject(url)).statusCode, url).toBe(501);
      expect((await app.inject({ method: 'DELETE', url: '/admin/users/u' })).statusCode).toBe(501);
    } finally {
      await app.close();
    }
  });
});
