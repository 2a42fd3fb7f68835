import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({ tracking: { cookies: { mode: 'cookieless' }, privacy: { gpc: 'anonymize', dnt: 'drop' } }, enrich: { ip: 'hash', salt: 'test-salt' } });
});
afterAll(async () => gw?.stop());

const UA = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0' };

describe('cookieless mode and privacy signals', () => {
  it('sets no cookie and derives the same visitor id for the same client on the same day', async () => {
    const a = await fetch(`${gw.url}/tr/v1/?ename=cookieless_a`, { headers: UA });
    const b = await fetch(`${gw.url}/tr/v1/?ename=cookieless_b`, { headers: UA });
    expect(a.headers.getSetCookie()).toEqual([]);
    expect(b.headers.getSetCookie()).toEqual([]);
    const [ea] = await gw.events(1, { ename: 'cookieless_a' });
    const [eb] = await gw.events(1, { ename: 'cookieless_b' });
    expect(ea?.vid).toMatch(/^[\w-]{22}$/);
    expect(eb?.vid).toBe(ea?.vid);
    expect(ea?.sid).toBeUndefined();
  });

  it('a different browser is a different visitor', async () => {
    await fetch(`${gw.url}/tr/v1/?ename=cookieless_c`, { headers: { 'user-agent': 'Mozilla/5.0 (Macintosh) Safari/605.1.15' } });
    const [ea] = await gw.events(1, { ename: 'cookieless_a' });
    const [ec] = await gw.events(1, { ename: 'cookieless_c' });
    expect(ec?.vid).not.toBe(ea?.vid);
  });

  it('hashes the IP instead of storing it', async () => {
    const [event] = await gw.events(1, { ename: 'cookieless_a' });
    expect(event?.ip).toMatch(/^[0-9a-f]{8,}$/);
  });

  it('DNT: 1 with dnt "drop" records nothing and says so', async () => {
    const res = await fetch(`${gw.url}/tr/v1/?ename=dnt_dropped`, { headers: { dnt: '1' } });
    expect(await res.json()).toEqual({ ok: true, ids: [], dropped: 'privacy_signal' });
    await fetch(`${gw.url}/tr/v1/?ename=marker_after_dnt`);
    await gw.events(1, { ename: 'marker_after_dnt' });
    expect(await gw.store.countEvents({ ename: 'dnt_dropped' })).toBe(0);
  });
});
