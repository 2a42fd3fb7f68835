import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/settings/load.js';
import { buildAdminApp } from '../src/gateway/admin-app.js';
import { createLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import type { TrackEvent } from '../src/track/event.js';
import { createCassandraReads } from '../src/sinks/cassandra/index.js';
import { createDuckDbStore, type DuckDbStore } from '../src/sinks/duckdb/index.js';
import { contractEvent } from './helpers/sink-contract.js';
import { fakeCassandra, storeEvents, type FakeCassandra } from './cassandra-fake.js';
import type { EventPage } from './admin-support.js';

/**
 * The admin API in cluster mode, on the Cassandra reads over an in-memory stand-in of the tables
 * (test/cassandra-fake.ts): the routes, their answers and errors. test/cassandra.test.ts runs the same reads
 * against a real cluster when CASSANDRA_CONTACT_POINTS is set.
 */
const NOW = Date.now();
const ago = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();

async function adminApp(data: { cassandra?: ReturnType<typeof createCassandraReads>; store?: DuckDbStore; readOnlySinks?: string[] }): Promise<FastifyInstance> {
  const config = parseConfig({ log: { level: 'silent' } }, 'test', {});
  const logger = createLogger('silent');
  return buildAdminApp({ config: config.admin, logger, telemetry: new Telemetry(logger, { defaultMetrics: false }), signingKey: '', redirectPrefix: '/rdr/v1', data });
}

describe('admin API on Cassandra', () => {
  let fake: FakeCassandra;
  let app: FastifyInstance;
  const events: TrackEvent[] = [
    ...Array.from({ length: 12 }, (_, i) => contractEvent({ received: ago(i * 10 + 1), ename: 'listed', vid: `v${i % 3}`, uid: i < 2 ? 'u1' : undefined })),
    contractEvent({ received: ago(5), host: 'other.example', url: 'https://other.example/', vid: 'v0', ename: 'listed' }),
    contractEvent({ received: ago(7), vid: 'bot', bot: true, bot_kind: 'crawler' }),
  ];

  beforeAll(async () => {
    fake = fakeCassandra();
    storeEvents(fake, events);
    app = await adminApp({ cassandra: createCassandraReads(fake), readOnlySinks: ['cassandra'] });
  });
  afterAll(async () => app?.close());

  it('lists events by day and host, paged with the cursor, and by visitor', async () => {
    const seen: string[] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const url: string = `/admin/events?ename=listed&limit=5${before ? `&before=${before}` : ''}`;
      const res = await app.inject(url);
      expect(res.statusCode).toBe(200);
      const page: EventPage = res.json<EventPage>();
      seen.push(...page.events.map((e) => e.eid));
      before = page.next;
      pages++;
    } while (before && pages < 20);
    expect(seen.sort()).toEqual(events.filter((e) => e.ename === 'listed').map((e) => e.eid).sort());
    expect(pages).toBeGreaterThanOrEqual(3);

    const v0 = (await app.inject('/admin/events?vid=v0&limit=100')).json<EventPage>();
    expect(v0.events.map((e) => e.eid).sort()).toEqual(events.filter((e) => e.vid === 'v0').map((e) => e.eid).sort());
    expect(v0.next).toBeNull();
    const u1 = (await app.inject('/admin/events?uid=u1&since=1d')).json<EventPage>();
    expect(u1.events).toHaveLength(2);
  });

  it('answers 400 for a bad or foreign cursor', async () => {
    expect((await app.inject('/admin/events?before=nope')).statusCode).toBe(400);
    const next = (await app.inject('/admin/events?limit=1')).json<EventPage>().next as string;
    const other = await app.inject(`/admin/events?limit=1&ename=listed&before=${next}`);
    expect(other.statusCode).toBe(400);
    expect(other.json().error.code).toBe('INVALID_FILTER');
  });

  it('gives every report; pages come from the hits counters, without visitors', async () => {
    const res = await app.inject('/admin/stats?since=1d');
    expect(res.statusCode).toBe(200);
    const s = res.json();
    expect(s.totals).toEqual({ events: 13, visitors: 3, sessions: 1 });
    expect(s.bots.filtered).toBe(1);
    expect(s.pages).toEqual([
      { key: 'https://contract.example/Pricing?Plan=Pro', events: 12 },
      { key: 'https://other.example/', events: 1 },
    ]);
    expect(s.series.reduce((n: number, p: { events: number }) => n + p.events, 0)).toBe(13);
    expect(s.rejected).toEqual([]);
    const some = (await app.inject('/admin/stats?reports=pages,rejected')).json();
    expect(Object.keys(some).sort()).toEqual(['pages', 'range', 'rejected']);
  });

  it('exports ndjson and csv through the same endpoint, and refuses parquet with 501', async () => {
    const nd = await app.inject('/admin/export?format=ndjson&since=1d');
    expect(nd.statusCode).toBe(200);
    expect(nd.headers['x-gatehouse-rows']).toBe(String(events.length));
    expect(nd.headers['content-length']).toBe(String(Buffer.byteLength(nd.body)));
    const lines = nd.body.trim().split('\n').map((l) => JSON.parse(l) as TrackEvent);
    expect(lines.map((e) => e.eid).sort()).toEqual(events.map((e) => e.eid).sort());
    const csv = await app.inject('/admin/export?format=csv&since=1d');
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const rows = csv.body.trim().split('\n');
    expect(rows[0]).toMatch(/^eid,received,/);
    expect(rows).toHaveLength(events.length + 1);
    const parquet = await app.inject('/admin/export?format=parquet');
    expect(parquet.statusCode).toBe(501);
    expect(parquet.json().error).toMatchObject({ code: 'NOT_SUPPORTED_BY_STORE', supported: ['ndjson', 'csv'] });
  });

  it('exports and erases a visitor; erasure by uid answers 501 with what to do instead', async () => {
    const access = await app.inject('/admin/visitors/v1');
    expect(access.json()).toMatchObject({ vid: 'v1', count: 4 });
    const erased = await app.inject({ method: 'DELETE', url: '/admin/visitors/v1' });
    expect(erased.json()).toEqual({ erased: { cassandra: 4 } });
    expect((await app.inject('/admin/visitors/v1')).json().count).toBe(0);
    expect((fake.tables.get('events_by_day') ?? []).some((r) => r.vid === 'v1')).toBe(false);
    const byUid = await app.inject({ method: 'DELETE', url: '/admin/users/u1' });
    expect(byUid.statusCode).toBe(501);
    expect(byUid.json().error.message).toMatch(/uid/);
  });
});

describe('admin API with DuckDB and Cassandra both sinks', () => {
  it('reads DuckDB, erases a visitor in both, and a user in DuckDB only (naming Cassandra)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-admin-both-'));
    const store = createDuckDbStore({ config: { path: join(dir, 'events.duckdb') }, telemetry: new Telemetry(createLogger('silent'), { defaultMetrics: false }) });
    const fake = fakeCassandra();
    const events = [contractEvent({ vid: 'both', uid: 'user-b' }), contractEvent({ vid: 'both' }), contractEvent({ vid: 'x', uid: 'user-b' })];
    try {
      await store.start();
      await store.write(events);
      storeEvents(fake, events);
      const app = await adminApp({ store, cassandra: createCassandraReads(fake), readOnlySinks: ['cassandra'] });
      try {
        expect((await app.inject('/admin/export?format=parquet')).statusCode).toBe(200);
        const byVid = await app.inject({ method: 'DELETE', url: '/admin/visitors/both' });
        expect(byVid.json()).toEqual({ erased: { duckdb: 2, cassandra: 2 } });
        const byUid = await app.inject({ method: 'DELETE', url: '/admin/users/user-b' });
        expect(byUid.json()).toEqual({ erased: { duckdb: 1 }, notErased: ['cassandra'] });
      } finally {
        await app.close();
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
