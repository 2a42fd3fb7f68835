import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';

// The gateway sits behind a trusted proxy on loopback, which reports each client's address in X-Forwarded-For:
// the only way to have hundreds of client addresses on one test machine.
const limited = (key: string) => ({
  server: { listen: { host: '127.0.0.1', port: 0 }, trustedProxies: ['127.0.0.1'] },
  rateLimit: { rules: { tracking: { key, points: 5, burst: 0, duration: '60s' } } },
});

async function statusFrom(gw: TestGateway, client: string, path = '/tr/v1/?ename=rl'): Promise<number> {
  const res = await fetch(gw.url + path, { headers: { 'x-forwarded-for': client } });
  await res.arrayBuffer();
  return res.status;
}

describe('rate-limit keys through the real server', () => {
  let byIp: TestGateway;
  let byRoute: TestGateway;
  beforeAll(async () => {
    byIp = await startGateway(limited('ip'));
    byRoute = await startGateway(limited('ip+path'));
  });
  afterAll(async () => {
    await byIp?.stop();
    await byRoute?.stop();
  });

  it('400 addresses of one IPv6 /64 are one client; another /64 is another', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 400; i++) statuses.push(await statusFrom(byIp, `2001:db8:aa:bb:${i.toString(16)}::${(i * 7).toString(16)}`));
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    expect(await statusFrom(byIp, '2001:db8:aa:bc::1')).toBe(200);
    // IPv4 clients are still one address each.
    for (let i = 1; i <= 6; i++) expect(await statusFrom(byIp, `198.51.100.${i}`)).toBe(200);
  });

  it('with ip+path, REST-tuple paths, trailing slashes and query strings do not make new keys', async () => {
    const client = '203.0.113.50';
    const paths = ['/tr/v1/ename/a1', '/tr/v1/ename/a2/', '/tr/v1/ename/a3//', '/tr/v1/vid/x/ename/a4', '/tr/v1/?ename=a5', '/tr/v1/ename/a6?x=1', '/tr/v1/ename/a7/'];
    const statuses = [];
    for (const path of paths) statuses.push(await statusFrom(byRoute, client, path));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    // Another client is not affected.
    expect(await statusFrom(byRoute, '203.0.113.51', '/tr/v1/ename/b1')).toBe(200);
  });
});
