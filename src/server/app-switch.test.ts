import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { AppSwitch } from './app-switch.js';
import { detachedServerFactory } from './server-factory.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

/** A loopback listener whose request callback is the switch, as the gateway's main listener; returns `get(path)`. */
async function listen(apps: AppSwitch) {
  const server = createServer(apps.handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return async (path: string) => {
    const res = await fetch(base + path);
    return { status: res.status, headers: res.headers, body: await res.text() };
  };
}

/** Sends a request and resolves once the app's handler has it (the answer comes later). */
async function send(get: (path: string) => Promise<{ body: string }>, state: { started: boolean }) {
  const response = get('/slow');
  while (!state.started) await new Promise((resolve) => setImmediate(resolve));
  return { response };
}

/** An app that answers `name` at /which, and holds /slow until `release` is called; `closed` turns true on close. */
async function app(name: string) {
  const state = { closed: false, started: false, release: () => {} };
  const held = new Promise<void>((resolve) => (state.release = resolve));
  const instance: FastifyInstance = Fastify({ serverFactory: detachedServerFactory(false) });
  instance.get('/which', async () => name);
  instance.get('/slow', async () => {
    state.started = true;
    await held;
    return `${name} (slow)`;
  });
  instance.addHook('onClose', async () => {
    state.closed = true;
  });
  await instance.ready();
  return { instance, state };
}

describe('AppSwitch', () => {
  it('sends new requests to the new app, lets requests in flight finish on the old one, then closes it', async () => {
    const [a, b] = [await app('a'), await app('b')];
    const apps = new AppSwitch(a.instance);
    const get = await listen(apps);
    expect((await get('/which')).body).toBe('a');

    const { response: inFlight } = await send(get, a.state);
    const retired = apps.swap(b.instance, 60_000);
    expect(apps.current).toBe(b.instance);
    expect((await get('/which')).body).toBe('b');
    // Still serving its request: not closed under it.
    expect(a.state.closed).toBe(false);

    a.state.release();
    expect((await inFlight).body).toBe('a (slow)');
    await retired;
    expect(a.state.closed).toBe(true);
    expect(b.state.closed).toBe(false);
    await apps.close(1_000);
    expect(b.state.closed).toBe(true);
  });

  it('closes an old app at the grace deadline when a request never ends', async () => {
    const [a, b] = [await app('a'), await app('b')];
    const apps = new AppSwitch(a.instance);
    const get = await listen(apps);
    const { response: stuck } = await send(get, a.state);
    await apps.swap(b.instance, 50);
    expect(a.state.closed).toBe(true);
    a.state.release();
    await stuck;
    await apps.close(1_000);
  });

  it('after stop(), answers 503 SHUTTING_DOWN and asks the client to close the connection', async () => {
    const a = await app('a');
    const apps = new AppSwitch(a.instance);
    const get = await listen(apps);
    apps.stop();
    const res = await get('/which');
    expect(res.status).toBe(503);
    expect(res.headers.get('connection')).toBe('close');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'SHUTTING_DOWN', message: 'the server is shutting down' } });
    await apps.close(1_000);
  });
});
