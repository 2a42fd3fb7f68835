import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { startReceiver, type Receiver } from './helpers/receivers.js';
import { waitFor } from './helpers/wait.js';

/** Embedded mode under vendor failures: nothing lost, nothing doubled, storage never held back. */

const API_KEY = 'server-key-0123456789';
let gw: TestGateway;
const r: Record<'outage' | 'limited' | 'refused' | 'slow', Receiver> = {} as never;
let mixpanel: Receiver;

beforeAll(async () => {
  for (const name of ['outage', 'limited', 'refused', 'slow'] as const) r[name] = await startReceiver('webhook', { secret: 's3cret', path: '/hook' });
  mixpanel = await startReceiver('mixpanel', { basicAuth: 'svc-user:svc-secret' });
  const hook = (name: keyof typeof r) => ({
    name, url: `${r[name].url}/hook`, secret: 's3cret', batchWait: '10ms', retryMin: '20ms', retryMax: '200ms', match: [{ ename: [`${name}-*`] }],
  });
  gw = await startGateway({
    tracking: { apiKeys: [{ name: 'backend', key: API_KEY }] },
    destinations: {
      webhooks: [hook('outage'), hook('limited'), hook('refused'), hook('slow')],
      mixpanel: [{ name: 'mp', url: mixpanel.url, username: 'svc-user', secret: 'svc-secret', projectId: '12345', batchWait: '10ms', match: [{ ename: ['mp-*'] }] }],
    },
  });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([...Object.values(r), mixpanel].map((x) => x?.close()));
});

const send = (events: Record<string, unknown>[]) =>
  fetch(`${gw.url}/str/v1/`, { method: 'POST', body: JSON.stringify(events), headers: { 'content-type': 'application/json', 'x-api-key': API_KEY } });
const batch = (ename: string, n: number) => Array.from({ length: n }, () => ({ eid: randomUUID(), ename, vid: 'visitor-0001' }));
const deadLetters = (name: string) => {
  const file = join(gw.dir, 'spool', 'destinations', name, 'dead-letter.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; reason: string }) : [];
};
const metrics = async () => (await fetch(`${gw.adminUrl}/metrics`)).text();

describe('destination faults', () => {
  it('a receiver that is down then up gets every event exactly once', async () => {
    await r.outage.stop();
    const events = batch('outage-a', 20);
    expect((await send(events)).status).toBe(200);
    await gw.events(20, { ename: 'outage-a' });
    await waitFor('retries while the receiver is down', async () => /gatehouse_destination_retried_total\{destination="outage"\} [1-9]/.test(await metrics()));
    await r.outage.start();
    await waitFor('all 20 delivered', () => r.outage.acceptedIds().length >= 20);
    expect([...r.outage.acceptedIds()].sort()).toEqual(events.map((e) => e.eid).sort());
    expect(r.outage.violations).toEqual([]);
  });

  it('a 429 with Retry-After is honoured before the batch is sent again', async () => {
    r.limited.script({ status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow down' } });
    const events = batch('limited-a', 3);
    await send(events);
    await waitFor('delivered after the 429', () => r.limited.acceptedIds().length >= 3);
    const [refused, accepted] = r.limited.requests;
    expect(refused?.status).toBe(429);
    // A lower bound set by the server's answer, not a timing measurement: the retry came no earlier than asked.
    expect((accepted?.at ?? 0) - (refused?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect([...r.limited.acceptedIds()].sort()).toEqual(events.map((e) => e.eid).sort());
  });

  it('a 400 goes to the dead letters with the response, is counted, and is not retried', async () => {
    r.refused.script({ status: 400, body: { error: 'schema mismatch: field x' } });
    const [bad] = batch('refused-a', 1);
    await send([bad as Record<string, unknown>]);
    await waitFor('the dead letter', () => deadLetters('refused').length >= 1);
    expect(deadLetters('refused')[0]).toMatchObject({ id: bad?.eid, reason: expect.stringMatching(/destination refused: HTTP 400: .*schema mismatch/) });
    expect(await metrics()).toMatch(/gatehouse_destination_failed_total\{destination="refused",reason="rejected"\} 1/);
    // The next event goes through; the refused one was never sent again.
    const [good] = batch('refused-b', 1);
    await send([good as Record<string, unknown>]);
    await waitFor('the next event delivered', () => r.refused.acceptedIds().includes(good?.eid as string));
    expect(r.refused.requests.length).toBe(2);
  });

  it('a slow receiver does not delay storage: events are stored while the destination is still behind', async () => {
    const release = r.slow.hold();
    const first = batch('slow-a', 1);
    await send(first);
    await waitFor('the slow receiver got the request', async () => /gatehouse_destination_lag_seconds\{destination="slow"\} [0-9.e-]*[1-9]/.test(await metrics()));
    const later = batch('slow-b', 10);
    expect((await send(later)).status).toBe(200);
    await gw.events(10, { ename: 'slow-b' });
    expect(r.slow.acceptedIds()).toEqual([]);
    expect(await metrics()).toMatch(/gatehouse_destination_pending_events\{destination="slow"\} (1[01]|[1-9])\b/);
    release();
    await waitFor('the slow receiver catches up', () => r.slow.acceptedIds().length >= 11);
    expect([...r.slow.acceptedIds()].sort()).toEqual([...first, ...later].map((e) => e.eid).sort());
  });

  it('Mixpanel strict=1: failed_records are dead-lettered, the imported rest is not sent again', async () => {
    mixpanel.script((events) => ({
      status: 400,
      body: { code: 400, num_records_imported: events.length - 1, status: 'Bad Request', failed_records: [{ index: 1, $insert_id: 'x', field: 'properties.time', message: "'properties.time' is invalid" }] },
    }));
    const events = batch('mp-a', 3);
    await send(events);
    await waitFor('the failed record dead-lettered', () => deadLetters('mp').length >= 1);
    expect(deadLetters('mp').map((d) => d.id)).toEqual([events[1]?.eid]);
    expect(mixpanel.requests[0]?.query.get('project_id')).toBe('12345');
    expect(mixpanel.requests.length).toBe(1);
    expect(mixpanel.violations).toEqual([]);
  });
});
