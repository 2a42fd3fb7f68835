import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/settings/load.js';
import { createGateway, type Gateway } from '../src/gateway/gateway.js';
import { createLogger } from '../src/telemetry/logger.js';
import { replay } from '../src/cli/replay.js';
import { startReceiver, type Receiver } from './helpers/receivers.js';
import { waitFor } from './helpers/wait.js';

/** `gatehouse replay` in embedded mode: the gateway stopped, history read from the DuckDB file. */

const API_KEY = 'server-key-0123456789';
let dir: string;
let receiver: Receiver;
let gateway: Gateway | undefined;
let raw: Record<string, Record<string, unknown>>;
const ids = { early: [] as string[], late: [] as string[] };
let between = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-replay-'));
  receiver = await startReceiver('webhook', { secret: 'replay-secret', path: '/hook' });
  const hook = { url: `${receiver.url}/hook`, secret: 'replay-secret', batchWait: '10ms', retryMin: '20ms', retryMax: '100ms' };
  raw = {
    server: { listen: { host: '127.0.0.1', port: 0 } },
    admin: { enabled: false },
    log: { level: 'silent' },
    spool: { dir: join(dir, 'spool') },
    sinks: { duckdb: { path: join(dir, 'events.duckdb') } },
    consumer: { batchWait: '10ms' },
    tracking: { apiKeys: [{ name: 'backend', key: API_KEY }] },
    destinations: { webhooks: [{ name: 'archive', ...hook }, { name: 'purchases', ...hook, match: [{ ename: ['purchase'] }] }] },
  };
  gateway = await createGateway(parseConfig(raw, 'test'), { logger: createLogger('silent'), version: 'test' });
  const { main } = await gateway.start();
  const send = async (list: string[], ename: string, n: number) => {
    const events = Array.from({ length: n }, () => ({ eid: randomUUID(), ename, vid: 'visitor-0001' }));
    list.push(...events.map((e) => e.eid));
    const res = await fetch(`${main}/str/v1/`, { method: 'POST', body: JSON.stringify(events), headers: { 'content-type': 'application/json', 'x-api-key': API_KEY } });
    expect(res.status).toBe(200);
  };
  await send(ids.early, 'signup', 3);
  await waitFor('early events delivered', () => ids.early.every((id) => receiver.acceptedIds().includes(id)));
  between = new Date(Date.now() + 5).toISOString();
  await waitFor('a millisecond boundary', () => Date.now() > Date.parse(between) + 5);
  await send(ids.late, 'purchase', 4);
  await waitFor('late events delivered', () => receiver.acceptedIds().length >= 3 + 4 + 4);
  await gateway.shutdown();
  gateway = undefined;
});
afterAll(async () => {
  await gateway?.shutdown();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = async (args: Parameters<typeof replay>[1]) => {
  const lines: string[] = [];
  const progress: string[] = [];
  const code = await replay(parseConfig(raw, 'test'), args, { out: (l) => lines.push(l), progress: (l) => progress.push(l) });
  return { code, lines, progress };
};
const count = (id: string) => receiver.acceptedIds().filter((x) => x === id).length;

describe('replay (embedded)', () => {
  it('re-sends everything since TIME to one destination, with a progress line', async () => {
    const { code, lines, progress } = await run({ destination: 'archive', since: '1h' });
    expect(code).toBe(0);
    expect(progress.at(-1)).toBe('replay archive: read 7/7, sent 7, skipped 0 (rules), failed 0');
    expect(lines).toEqual(['replay archive: read 7/7, sent 7, skipped 0 (rules), failed 0; done']);
    for (const id of ids.early) expect(count(id)).toBe(2);
  });

  it('honours --since/--until and the destination\'s rules', async () => {
    const before = receiver.acceptedIds().length;
    const { lines } = await run({ destination: 'purchases', since: between, until: new Date(Date.now() + 60_000).toISOString() });
    expect(lines[0]).toBe('replay purchases: read 4/4, sent 4, skipped 0 (rules), failed 0; done');
    expect(receiver.acceptedIds().length).toBe(before + 4);
    const all = await run({ destination: 'purchases', since: '1d' });
    expect(all.lines[0]).toMatch(/read 7\/7, sent 4, skipped 3 \(rules\)/);
    expect(receiver.violations).toEqual([]);
  });

  it('names the destinations when asked for an unknown one, and refuses a bad time', async () => {
    await expect(run({ destination: 'nope', since: '1h' })).rejects.toThrow(/archive, purchases/);
    await expect(run({ destination: 'archive', since: 'yesterday-ish' })).rejects.toThrow(/neither an ISO 8601 time nor a duration/);
  });
});
