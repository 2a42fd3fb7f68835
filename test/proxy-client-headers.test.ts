import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { startEcho, type Backend } from './helpers/backends.js';

// What a client may claim about itself, and what an upstream behind the gateway is told.
const CLAIMS = {
  'true-client-ip': '6.6.6.1',
  'cf-connecting-ip': '6.6.6.2',
  'x-real-ip': '6.6.6.3',
  'x-client-ip': '6.6.6.4',
  'x-cluster-client-ip': '6.6.6.5',
  forwarded: 'for=6.6.6.6',
  'x-forwarded-for': '6.6.6.7',
  'x-forwarded-host': 'evil.example',
  'x-forwarded-proto': 'https',
  'x-forwarded-port': '443',
  'x-forwarded-prefix': '/admin',
  'x-forwarded-server': 'evil',
  'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
};

let echo: Backend;
const gateways: TestGateway[] = [];
beforeAll(async () => {
  echo = await startEcho();
});
afterAll(async () => {
  for (const gw of gateways) await gw.stop();
  await echo?.stop();
});

async function seenUpstream(trustedProxies: string[], claims: Record<string, string> = CLAIMS): Promise<Record<string, string>> {
  const gw = await startGateway({
    server: { listen: { host: '127.0.0.1', port: 0 }, trustedProxies },
    static: { enabled: false },
    proxy: { routes: [{ path: '/app', upstreams: [echo.url] }] },
  });
  gateways.push(gw);
  const res = await fetch(`${gw.url}/app/page`, { headers: claims });
  expect(res.status).toBe(200);
  return ((await res.json()) as { headers: Record<string, string> }).headers;
}

describe('client-address claims at the reverse proxy', () => {
  it('from an untrusted peer, every claim is stripped and replaced by what the gateway saw', async () => {
    const headers = await seenUpstream([]);
    for (const name of ['true-client-ip', 'cf-connecting-ip', 'x-real-ip', 'x-client-ip', 'x-cluster-client-ip', 'forwarded', 'x-forwarded-port', 'x-forwarded-prefix', 'x-forwarded-server']) {
      expect(headers[name], name).toBeUndefined();
    }
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).not.toBe('evil.example');
    expect(JSON.stringify(headers)).not.toMatch(/6\.6\.6\.|evil/);
    expect(headers['proxy-authorization']).toBeUndefined();
  });

  it('from a trusted proxy, its headers are kept (the chain extended), but Proxy-Authorization is still not forwarded', async () => {
    // Without Forwarded: when it and X-Forwarded-For disagree, the resolver believes neither (the peer is the client).
    const { forwarded: _, ...claims } = CLAIMS;
    const headers = await seenUpstream(['127.0.0.1'], claims);
    expect(headers).toMatchObject({
      'x-real-ip': '6.6.6.3',
      'cf-connecting-ip': '6.6.6.2',
      'x-forwarded-for': '6.6.6.7, 127.0.0.1',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
    });
    expect(headers['proxy-authorization']).toBeUndefined();
  });
});
