import { describe, expect, it } from 'vitest';
import { contractEvent } from '../../../test/helpers/sink-contract.js';
import { sampleBatch } from '../../../test/helpers/cassandra-batch.js';
import { driverFake } from '../../../test/cassandra-driver-fake.js';
import { EIDS_PER_READ } from './run.js';
import { planWrite, writeEvents } from './write-events.js';

/**
 * What one batch costs Cassandra, counted at the driver's seam (test/cassandra-driver-fake.ts): round trips,
 * statements, mutations (distinct partition keys per request) and reads. bench/RESULTS.md reports these per
 * event ("Cassandra sink: statements per event"); the bounds here keep them from creeping back.
 */
describe('Cassandra writes per batch', () => {
  it('reads a bounded number of times per batch: IN lists of event ids, not one read per event', async () => {
    const fake = driverFake();
    const batch = sampleBatch(2000, 200);
    await writeEvents(fake, batch, 0);
    expect(fake.count.reads).toBe(Math.ceil(2000 / EIDS_PER_READ));
    expect(fake.count.partitionsRead).toBe(2000);
  });

  it('sends a 2000-event batch of 200 visitors in few requests and about one mutation per event', async () => {
    const fake = driverFake({ encode: true }); // every request also encodes as the driver would send it
    await writeEvents(fake, sampleBatch(2000, 200), 86_400);
    const { requests, statements, mutations } = fake.count;
    // events (one partition each), each visitor's partition (200: its timeline, state and session in one
    // batch), 100 hit counters (each URL is on one host) on 4 partitions, 4 hosts_by_day rows on one, and events_by_day: 4 host-day
    // partitions of 500 rows, ~0.5 KB each, in batches of at most 256 KiB (2 to 4 each).
    expect(mutations - (2000 + 200 + 4 + 1)).toBeGreaterThanOrEqual(8);
    expect(mutations - (2000 + 200 + 4 + 1)).toBeLessThanOrEqual(16);
    expect(statements).toBe(20 + 2000 * 3 + 200 * 2 + 100 + 4); // 20 reads, 3 event rows, 1 state + 1 session per visitor
    expect(requests / 2000).toBeLessThan(0.4); // was 2.45: a read and a marker write per event
  });

  it("encodes params whatever their keys, as the driver sends them (keys that shadow Object's methods included)", async () => {
    const fake = driverFake({ encode: true });
    // Params are kept in null-prototype objects (safe from "__proto__"); the driver's plain-object path would call
    // their missing hasOwnProperty, or one a param named so replaced.
    const params = Object.assign(Object.create(null) as Record<string, string>, { hasOwnProperty: 'x', __proto__: 'y', constructor: 'z' });
    await expect(writeEvents(fake, [contractEvent({ params })], 0)).resolves.toBe(1);
    expect(fake.count.statements).toBeGreaterThan(0);
  });

  it('counts hits only for the events not yet stored on a redelivery', async () => {
    const fake = driverFake();
    const batch = [contractEvent({ url: 'https://x/a' }), contractEvent({ url: 'https://x/a' }), contractEvent({ url: 'https://x/b' })];
    const hits: unknown[][] = [];
    const execute = fake.execute.bind(fake);
    fake.execute = ((query: string, params: unknown[], options: object) => {
      if (query.startsWith('UPDATE hits')) hits.push(params);
      return execute(query, params, options);
    }) as typeof fake.execute;
    const batchCalls: unknown[][] = [];
    const batchFn = fake.batch.bind(fake);
    fake.batch = ((queries: { query: string; params: unknown[] }[], options: object) => {
      for (const q of queries) if (q.query.startsWith('UPDATE hits')) batchCalls.push(q.params);
      return batchFn(queries, options);
    }) as typeof fake.batch;
    fake.stored = new Set([batch[0]!.eid]);
    await writeEvents(fake, batch, 0);
    expect([...hits, ...batchCalls].map((p) => [p[0], p[3]])).toEqual([['1', 'https://x/a'], ['1', 'https://x/b']]);
  });

  it('batches a visitor timeline, state and session on their one partition key, and the markers a few to a request', () => {
    const vid = 'v-1';
    const events = [0, 1, 2].map((i) => contractEvent({ vid, sid: 's', received: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }));
    const { plan } = planWrite(events, 0);
    const visitor = plan.rows.find((g) => g.some((w) => w.table === 'events_by_visitor'))!;
    // Three timeline rows, and one visitor and one session upsert: the newest event's, which wins every cell.
    expect(visitor.map((w) => w.table).sort()).toEqual(['events_by_visitor', 'events_by_visitor', 'events_by_visitor', 'sessions', 'visitors']);
    expect(new Set(visitor.map((w) => w.partition)).size).toBe(1);
    expect(plan.markers).toHaveLength(1);
    expect(plan.markers[0]!.map((w) => w.table)).toEqual(['events', 'events', 'events']);
  });

  it('writes nothing for an empty batch and refuses a bad event before any request', async () => {
    const fake = driverFake();
    expect(await writeEvents(fake, [], 0)).toBe(0);
    await expect(writeEvents(fake, [contractEvent(), contractEvent({ received: 'nope' })], 0)).rejects.toThrow(/received/);
    expect(fake.count.requests).toBe(0);
  });
});
