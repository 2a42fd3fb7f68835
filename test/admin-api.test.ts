import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { admin, send, type EventPage } from './admin-support.js';
import type { TrackEvent } from '../src/track/event.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => gw?.stop());

describe('GET /admin/events', () => {
  it('lists newest first and pages with the before cursor without gaps or repeats', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(...(await send(gw, Array.from({ length: 5 }, (_, j) => ({ ename: 'paged', vid: 'pager', score: i * 5 + j })))));
    await gw.events(25, { ename: 'paged' });

    const seen: TrackEvent[] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const q: string = `/admin/events?ename=paged&limit=10${before ? `&before=${before}` : ''}`;
      const { status, body }: { status: number; body: EventPage } = await admin<EventPage>(gw, q);
      expect(status).toBe(200);
      seen.push(...body.events);
      before = body.next;
      pages++;
    } while (before);
    expect(pages).toBe(3);
    expect(seen.map((e) => e.eid).sort()).toEqual([...ids].sort());
    const order = seen.map((e) => `${e.received}|${e.eid}`);
    expect(order).toEqual([...order].sort().reverse());
  });

  it('filters by ename, etyp, vid, uid, url and time', async () => {
    await send(gw, [
      { ename: 'f_view', etyp: 'page', vid: 'fv1', uid: 'fu1', url: 'https://shop.example/a' },
      { ename: 'f_view', etyp: 'page', vid: 'fv2', url: 'https://shop.example/b' },
      { ename: 'f_click', etyp: 'click', vid: 'fv1', uid: 'fu1', url: 'https://shop.example/a' },
    ]);
    await gw.events(2, { vid: 'fv1' });
    await gw.events(1, { vid: 'fv2' });
    const count = async (q: string) => (await admin<EventPage>(gw, `/admin/events?${q}`)).body.events.length;
    expect(await count('ename=f_view')).toBe(2);
    expect(await count('etyp=click&vid=fv1')).toBe(1);
    expect(await count('uid=fu1')).toBe(2);
    expect(await count(`url=${encodeURIComponent('https://shop.example/b')}`)).toBe(1);
    expect(await count('vid=fv1&since=1h')).toBe(2);
    expect(await count(`vid=fv1&until=${encodeURIComponent('2000-01-01T00:00:00Z')}`)).toBe(0);
    expect(await count(`vid=fv1&since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toBe(0);
  });

  it('answers 400 with a clear message for a bad time, cursor or limit', async () => {
    for (const q of ['since=yesterday', 'before=not-a-cursor', 'limit=0', 'limit=abc']) {
      const { status, body } = await admin<{ error: { code: string; message: string } }>(gw, `/admin/events?${q}`);
      expect(status, q).toBe(400);
      expect(body.error.message.length).toBeGreaterThan(5);
    }
  });
});

describe('privacy requests', () => {
  it('exports a visitor, then erases by vid and by uid, reporting the counts per store', async () => {
    await send(gw, [
      { ename: 'p1', vid: 'forget-me', uid: 'user-9' },
      { ename: 'p2', vid: 'forget-me' },
      { ename: 'p3', vid: 'other-device', uid: 'user-9' },
      { ename: 'p4', vid: 'keep-me' },
    ]);
    await gw.events(2, { vid: 'forget-me' });
    await gw.events(1, { vid: 'keep-me' });
    await gw.events(1, { vid: 'other-device' });

    const access = await admin<{ vid: string; count: number; events: TrackEvent[] }>(gw, '/admin/visitors/forget-me');
    expect(access.status).toBe(200);
    expect(access.body.count).toBe(2);
    expect(access.body.events.map((e) => e.ename).sort()).toEqual(['p1', 'p2']);

    const byVid = await admin<{ erased: Record<string, number> }>(gw, '/admin/visitors/forget-me', { method: 'DELETE' });
    expect(byVid).toEqual({ status: 200, body: { erased: { duckdb: 2 } } });
    const byUid = await admin<{ erased: Record<string, number> }>(gw, '/admin/users/user-9', { method: 'DELETE' });
    expect(byUid.body).toEqual({ erased: { duckdb: 1 } });

    expect(await gw.store.countEvents({ vid: 'forget-me' })).toBe(0);
    expect(await gw.store.countEvents({ uid: 'user-9' })).toBe(0);
    expect(await gw.store.countEvents({ vid: 'keep-me' })).toBe(1);
    expect((await admin<{ count: number }>(gw, '/admin/visitors/forget-me')).body.count).toBe(0);
  });
});

describe('admin token', () => {
  it('the API answers 401 without the bearer token; the dashboard files load without it', async () => {
    const secured = await startGateway({ admin: { listen: { host: '127.0.0.1', port: 0 }, token: 'admin-secret-token-1' } });
    try {
      const paths = ['/admin/events', '/admin/events/live', '/admin/stats', '/admin/export?format=csv', '/admin/visitors/x'];
      for (const path of paths) expect((await fetch(secured.adminUrl + path)).status, path).toBe(401);
      expect((await fetch(`${secured.adminUrl}/admin/visitors/x`, { method: 'DELETE' })).status).toBe(401);
      const wrong = await fetch(`${secured.adminUrl}/admin/events`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const ok = await fetch(`${secured.adminUrl}/admin/events`, { headers: { authorization: 'Bearer admin-secret-token-1' } });
      expect(ok.status).toBe(200);
      for (const page of ['/admin/', '/admin/live.html', '/admin/admin.js']) expect((await fetch(secured.adminUrl + page)).status, page).toBe(200);
      expect((await fetch(`${secured.adminUrl}/admin/nothing.html`)).status).toBe(404);
    } finally {
      await secured.stop();
    }
  });
});
