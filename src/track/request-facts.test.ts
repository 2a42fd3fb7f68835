import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createTrustedProxies, type TrustedProxies } from './enrich/trusted-proxies.js';
import { createRequestClient } from './request-client.js';
import { createRequestFacts, type RequestFacts } from './request-facts.js';

/** A real Fastify app whose route answers the request's facts; `remoteAddress` sets the socket peer. */
async function factsOf(proxies: TrustedProxies, headers: Record<string, string>, remoteAddress = '10.0.0.2'): Promise<RequestFacts> {
  const facts = createRequestFacts(createRequestClient(proxies), { gpc: 'anonymize', dnt: 'drop' });
  const app = Fastify();
  createRequestClient(proxies).decorate(app);
  app.get('/', (request) => facts(request, 'track'));
  const res = await app.inject({ url: '/', headers, remoteAddress });
  await app.close();
  return res.json();
}

describe('request facts', () => {
  const proxies = createTrustedProxies(['10.0.0.0/8']);

  it('resolves the client IP and HTTPS through the trusted proxies, once', async () => {
    const facts = await factsOf(proxies, { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', host: 'shop.example' });
    expect(facts).toMatchObject({ clientIp: '203.0.113.7', secure: true, host: 'shop.example', origin: 'track' });
    const direct = await factsOf(proxies, { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' }, '198.51.100.1');
    expect(direct).toMatchObject({ clientIp: '198.51.100.1', secure: false });
  });

  it('decides privacy from the signals: the stricter configured action wins', async () => {
    expect((await factsOf(proxies, {})).privacy).toEqual({ action: 'ignore', gpc: false });
    expect((await factsOf(proxies, { 'sec-gpc': '1' })).privacy).toEqual({ action: 'anonymize', gpc: true });
    expect((await factsOf(proxies, { 'sec-gpc': '1', dnt: '1' })).privacy).toEqual({ action: 'drop', gpc: true });
  });

  it('remembers the client IP for the rest of the request', async () => {
    let resolved = 0;
    const counting: TrustedProxies = {
      ...proxies,
      clientIp: (peer, headers) => {
        resolved++;
        return proxies.clientIp(peer, headers);
      },
    };
    const client = createRequestClient(counting);
    const app = Fastify();
    client.decorate(app);
    app.addHook('onRequest', async (request) => void client.ip(request));
    app.get('/', (request) => ({ ip: client.ip(request) }));
    const res = await app.inject({ url: '/', headers: { 'x-forwarded-for': '203.0.113.7' }, remoteAddress: '10.0.0.2' });
    await app.close();
    expect(res.json()).toEqual({ ip: '203.0.113.7' });
    expect(resolved).toBe(1);
  });
});
