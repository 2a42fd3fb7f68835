import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { PIXEL_GIF } from '../src/track/routes/pixel.js';

let gw: TestGateway;
let backend: Server;

beforeAll(async () => {
  // A real app backend on port 0 that returns HTML pages and echoes what it received.
  backend = createServer((req, res) => {
    const body = JSON.stringify({ url: req.url, xff: req.headers['x-forwarded-for'], rid: req.headers['x-request-id'] });
    if (req.url?.startsWith('/page')) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<html>${body}</html>`);
    else res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const port = (backend.address() as AddressInfo).port;
  gw = await startGateway({
    static: { enabled: false },
    proxy: { routes: [{ path: '/', upstreams: [`http://127.0.0.1:${port}`] }] },
    tracking: { pageViews: { enabled: true } },
    rateLimit: { rules: { pixel: { points: 2, duration: '60s', burst: 0 } } },
  });
});
afterAll(async () => {
  await gw?.stop();
  await new Promise((resolve) => backend?.close(resolve));
});

describe('the gateway in front of an app backend', () => {
  it('proxies everything that is not a tracking path, passing the request id', async () => {
    const res = await fetch(`${gw.url}/api/orders?x=1`, { headers: { 'x-request-id': 'edge-rid-1' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ url: '/api/orders?x=1', xff: '127.0.0.1', rid: 'edge-rid-1' });
  });

  it('tracking paths win over the catch-all proxy, for every method', async () => {
    const res = await fetch(`${gw.url}/tr/v1/?ename=not_proxied`);
    expect(await res.json()).toMatchObject({ ok: true });
    expect((await fetch(`${gw.url}/tr/v1/x`, { method: 'PUT' })).status).toBe(404);
  });

  it('records a server-side page view for a proxied HTML page', async () => {
    expect((await fetch(`${gw.url}/page/pricing`)).status).toBe(200);
    const [event] = await gw.events(1, { ename: 'pageview' });
    expect(event?.url).toMatch(/\/page\/pricing$/);
  });

  it('a rate-limited pixel still gets its GIF, but the open is not recorded', async () => {
    const responses = [];
    for (let i = 0; i < 4; i++) responses.push(await fetch(`${gw.url}/img/v1/?uid=limited-reader&n=${i}`));
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(PIXEL_GIF);
    }
    await fetch(`${gw.url}/tr/v1/?ename=marker_after_pixels`);
    await gw.events(1, { ename: 'marker_after_pixels' });
    expect(await gw.store.countEvents({ uid: 'limited-reader' })).toBe(2);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/gatehouse_event_rejected_total\{reason="rate_limited",route="pixel"\} 2/);
  });
});
