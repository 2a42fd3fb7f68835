import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../telemetry/logger.js';
import { installErrorHandlers } from './error-handler.js';
import { fastifyBaseOptions } from './fastify-base.js';

/** A Fastify app with the listeners' shared options, logging JSON lines into memory. */
async function appWithLogLines(level: 'info' | 'warn') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = Fastify(fastifyBaseOptions(createLogger(level, destination), 'main'));
  installErrorHandlers(app);
  app.get('/quiet', async () => ({ ok: true }));
  app.get('/fails', async () => {
    throw new Error('disk on fire');
  });
  app.get('/notes', async (request) => {
    request.log.info({ event: 'noted' }, 'first');
    request.log.warn({ event: 'noted' }, 'second');
    return { level: request.log.level };
  });
  await app.ready();
  return { app, lines, child: vi.spyOn(app.log, 'child') };
}

describe('request logger', () => {
  it('makes no pino child for requests that log nothing, and one per request that logs', async () => {
    const { app, child } = await appWithLogLines('info');
    for (let i = 0; i < 20; i++) expect((await app.inject({ url: '/quiet' })).statusCode).toBe(200);
    expect(child).not.toHaveBeenCalled();

    // Two lines from one request share one child.
    expect((await app.inject({ url: '/notes' })).json()).toEqual({ level: 'info' });
    expect(child).toHaveBeenCalledTimes(1);
    await app.close();
  });

  it("writes a request's lines with its request id and listener, at the logger's level", async () => {
    const { app, lines } = await appWithLogLines('warn');
    const failed = await app.inject({ url: '/fails', headers: { 'x-request-id': 'trace-500' } });
    expect(failed.statusCode).toBe(500);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 50, msg: 'request failed', reqId: 'trace-500', listener: 'main', err: expect.objectContaining({ message: 'disk on fire' }) }),
    );

    const noted = await app.inject({ url: '/notes', headers: { 'x-request-id': 'trace-notes' } });
    expect(noted.json()).toEqual({ level: 'warn' });
    const fromNotes = lines.filter((l) => l.reqId === 'trace-notes');
    // The info line is below the level; the warn line is written.
    expect(fromNotes).toEqual([expect.objectContaining({ level: 40, msg: 'second', event: 'noted', listener: 'main' })]);
    await app.close();
  });
});
