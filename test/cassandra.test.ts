import { randomUUID } from 'node:crypto';
import { Client } from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/telemetry/logger.js';
import { Telemetry } from '../src/telemetry/telemetry.js';
import type { CassandraConfig } from '../src/sinks/config.js';
import { contractEvent, sinkContract } from './helpers/sink-contract.js';
import { eventFromColumns } from '../src/sinks/event-columns.js';
import { applyCassandraSchema, createCassandraSink, type CassandraSink } from '../src/sinks/cassandra/index.js';
import { clientOptions } from '../src/sinks/cassandra/client-options.js';
import { dayOf } from '../src/sinks/cassandra/cql.js';
import { recordKeyQuery } from '../src/sinks/cassandra/record-rows.js';
import type { TrackEvent } from '../src/track/event.js';
import type { EventPage } from '../src/sinks/cassandra/index.js';
import { sampleBatch } from './helpers/cassandra-batch.js';
import { experimentHistory } from './helpers/experiment-history.js';

/**
 * Against a real cluster: CASSANDRA_CONTACT_POINTS=host[:port],... (and CASSANDRA_DC, default datacenter1).
 * The keyspace gatehouse_test is created by the schema setup; every row written here has fresh ids.
 */
const contactPoints = process.env.CASSANDRA_CONTACT_POINTS;

const config = (overrides: Partial<CassandraConfig> = {}): CassandraConfig => ({
  contactPoints: (contactPoints ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  localDataCenter: process.env.CASSANDRA_DC ?? 'datacenter1',
  keyspace: 'gatehouse_test',
  replication: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
  username: process.env.CASSANDRA_USERNAME ?? '',
  password: process.env.CASSANDRA_PASSWORD ?? '',
  consistency: 'LOCAL_ONE',
  retention: 0,
  tls: { enabled: false, ca: '' },
  ...overrides,
});

const telemetry = () => new Telemetry(createLogger('silent'), { defaultMetrics: false });

/**
 * Reads back as a user would: one SELECT of the rows whose ids are asked for (each stored row comes back once,
 * however often the caller names its id), not one lookup per id asked.
 */
async function readEvents(reader: Client, eids: readonly string[]): Promise<TrackEvent[]> {
  const wanted = [...new Set(eids)];
  if (wanted.length === 0) return [];
  const rs = await reader.execute('SELECT * FROM events WHERE eid IN ?', [wanted], { prepare: true, fetchSize: wanted.length + 1 });
  return rs.rows.map((row) => eventFromColumns(Object.fromEntries(row.keys().map((k) => [k, row.get(k)]))));
}

describe.runIf(Boolean(contactPoints))('Cassandra sink', () => {
  let reader: Client;

  beforeAll(async () => {
    await applyCassandraSchema(config(), createLogger('silent'));
    await applyCassandraSchema(config(), createLogger('silent')); // idempotent
    reader = new Client(clientOptions(config()));
    await reader.connect();
  });
  afterAll(async () => {
    await reader?.shutdown();
  });

  sinkContract('cassandra', async () => {
    const sink = createCassandraSink({ config: config(), telemetry: telemetry() });
    await sink.start();
    return {
      sink,
      readEvents: (eids) => readEvents(reader, eids),
      countRecords: async (records) => {
        let n = 0;
        for (const r of records) {
          const { query, params } = recordKeyQuery(r);
          n += (await reader.execute(query, params, { prepare: true })).rowLength;
        }
        return n;
      },
    };
  });

  // A backlog drained as `gatehouse consume` would hand it over (batches of consumer.batchSize's default):
  // timed and reported, not asserted as a time (that depends on the cluster). CASSANDRA_DRAIN_EVENTS=0 skips it.
  const drainEvents = Number(process.env.CASSANDRA_DRAIN_EVENTS ?? 50_000);
  it.runIf(drainEvents > 0)(`drains ${drainEvents} events, every one stored and counted once`, async () => {
    const sink = createCassandraSink({ config: config(), telemetry: telemetry() });
    await sink.start();
    const host = `drain-${randomUUID()}.example`;
    const start = Date.now();
    const batches: TrackEvent[][] = [];
    for (let i = 0; i < drainEvents; i += 2000) {
      const n = Math.min(2000, drainEvents - i);
      batches.push(sampleBatch(n, 200, start + i).map((e) => ({ ...e, host, vid: `${host}-${e.vid}` })));
    }
    try {
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      for (const batch of batches) await sink.write(batch);
      const seconds = (performance.now() - t0) / 1000;
      const used = process.cpuUsage(cpu);
      console.log(
        `Cassandra drain: ${drainEvents} events in ${seconds.toFixed(1)} s (${Math.round(drainEvents / seconds)} events/s), ` +
          `${((used.user + used.system) / drainEvents).toFixed(1)} µs of this process's CPU per event (sink and driver)`,
      );
    } finally {
      await sink.close();
    }
    const days = [...new Set(batches.flat().map((e) => dayOf(new Date(e.received))))];
    let rows = 0;
    let hits = 0;
    for (const day of days) {
      const n = await reader.execute('SELECT count(*) AS n FROM events_by_day WHERE host = ? AND day = ?', [host, day], { prepare: true });
      rows += Number(n.first()?.get('n'));
      const h = await reader.execute('SELECT hits FROM hits WHERE host = ? AND day = ?', [host, day], { prepare: true });
      for (const row of h.rows) hits += Number(row.get('hits'));
    }
    expect(rows).toBe(drainEvents);
    expect(hits).toBe(drainEvents);
  }, 1_800_000);

  describe('tables', () => {
    let sink: CassandraSink;
    beforeAll(async () => {
      sink = createCassandraSink({ config: config({ retention: 86_400_000 }), telemetry: telemetry() });
      await sink.start();
    });
    afterAll(async () => {
      await sink?.close();
    });

    it('counts a redelivered page event once in hits', async () => {
      const url = `https://contract.example/${randomUUID()}`;
      const event = contractEvent({ url });
      await sink.write([event]);
      await sink.write([event]);
      await sink.write([contractEvent({ url }), contractEvent({ url, bot: true })]);
      const rs = await reader.execute('SELECT hits FROM hits WHERE host = ? AND day = ? AND url = ?', [
        'contract.example',
        dayOf(new Date(event.received)),
        url,
      ], { prepare: true });
      expect(Number(rs.first()?.get('hits'))).toBe(2);
    });

    it('writes event rows with the retention as TTL and keeps a visitor timeline', async () => {
      const vid = randomUUID();
      const older = contractEvent({ vid, received: new Date(Date.now() - 60_000).toISOString(), url: 'https://x/old' });
      const newer = contractEvent({ vid, url: 'https://x/new' });
      await sink.write([newer]);
      await sink.write([older]); // arrives late: must not overwrite the visitor's latest state
      const ttl = await reader.execute('SELECT TTL(url) AS t FROM events WHERE eid = ?', [newer.eid], { prepare: true });
      expect(Number(ttl.first()?.get('t'))).toBeGreaterThan(0);
      const timeline = await reader.execute('SELECT eid FROM events_by_visitor WHERE vid = ?', [vid], { prepare: true });
      expect(timeline.rows.map((r) => r.get('eid'))).toEqual([newer.eid, older.eid]);
      const visitor = await reader.execute('SELECT url FROM visitors WHERE vid = ?', [vid], { prepare: true });
      expect(visitor.first()?.get('url')).toBe('https://x/new');
      const day = await reader.execute('SELECT eid FROM events_by_day WHERE host = ? AND day = ? AND received = ? AND eid = ?', [
        'contract.example',
        dayOf(new Date(newer.received)),
        new Date(newer.received),
        newer.eid,
      ], { prepare: true });
      expect(day.rowLength).toBe(1);
    });

    it('lists what was written by day and by visitor, paged by the driver state', async () => {
      const ename = `listed-${randomUUID()}`;
      const vid = randomUUID();
      const written = Array.from({ length: 7 }, (_, i) => contractEvent({ ename, vid, received: new Date(Date.now() - (i + 1) * 1000).toISOString() }));
      await sink.write(written);
      const pages = async (q: { vid?: string }) => {
        const seen: string[] = [];
        let before: string | null = null;
        do {
          const page: EventPage = await sink.reads.listEvents({ fields: { ename }, limit: 3, since: new Date(Date.now() - 3_600_000), ...q, ...(before ? { before } : {}) });
          seen.push(...page.events.map((e) => e.eid));
          before = page.next;
        } while (before);
        return seen;
      };
      expect(await pages({})).toEqual(written.map((e) => e.eid)); // one host and day: newest first
      expect(await pages({ vid })).toEqual(written.map((e) => e.eid));
      const out: string[] = [];
      for await (const e of sink.reads.events({ since: new Date(Date.now() - 3_600_000) })) if (e.ename === ename) out.push(e.eid);
      expect(out).toEqual(written.map((e) => e.eid).reverse());
    });

    it('reads stats from events_by_day and hits', async () => {
      const host = `stats-${randomUUID()}.example`;
      const url = `https://${host}/page`;
      await sink.write([contractEvent({ host, url, vid: 'sa' }), contractEvent({ host, url, vid: 'sb' }), contractEvent({ host, url, vid: 'sc', bot: true })]);
      const s = await sink.reads.stats({ since: new Date(Date.now() - 3_600_000), until: new Date(Date.now() + 1000), bucket: 'hour', top: 100_000 }, ['pages', 'totals', 'bots']);
      expect(s.pages).toContainEqual({ key: url, events: 2 });
      expect(s.totals?.events).toBeGreaterThanOrEqual(2);
      expect(s.bots?.filtered).toBeGreaterThanOrEqual(1);
    });

    it('counts an experiment from exposures_by_day and events_by_visitor, as DuckDB does', async () => {
      // Two days ago, so the next-day exposure of the history is in the past too; a fresh name per run.
      const { history, expected, query } = experimentHistory(Date.now() - 2 * 86_400_000, `exp-${randomUUID().slice(0, 8)}`, `${randomUUID().slice(0, 8)}-`);
      await sink.write(history);
      expect(await sink.reads.experimentCounts(query)).toEqual(expected);
    });

    it('erases a visitor from every table', async () => {
      const vid = randomUUID();
      const mine = [contractEvent({ vid }), contractEvent({ vid, host: undefined })];
      const other = contractEvent();
      await sink.write([...mine, other]);
      expect((await sink.reads.visitorEvents(vid)).map((e) => e.eid).sort()).toEqual(mine.map((e) => e.eid).sort());
      expect(await sink.reads.eraseVisitor(vid)).toBe(2);
      expect(await sink.reads.visitorEvents(vid)).toEqual([]);
      expect(await readEvents(reader, [...mine.map((e) => e.eid), other.eid])).toHaveLength(1);
      for (const table of ['visitors', 'sessions']) {
        expect((await reader.execute(`SELECT vid FROM ${table} WHERE vid = ?`, [vid], { prepare: true })).rowLength, table).toBe(0);
      }
      for (const e of mine) {
        const rs = await reader.execute('SELECT eid FROM events_by_day WHERE host = ? AND day = ? AND received = ? AND eid = ?', [
          e.host ?? '',
          dayOf(new Date(e.received)),
          new Date(e.received),
          e.eid,
        ], { prepare: true });
        expect(rs.rowLength).toBe(0);
      }
    });

    it('keeps short links with their history', async () => {
      const slug = `s-${randomUUID()}`;
      // Past times, so the deletion (stamped now) sorts after both edits in the history.
      const t = new Date(Date.now() - 2000).toISOString();
      const t2 = new Date(Date.now() - 1000).toISOString();
      expect(await sink.get(slug)).toBeUndefined();
      await sink.put({ slug, url: 'https://example.com/a', created: t, updated: t });
      await sink.put({ slug, url: 'https://example.com/b', host: 'go.example', created: t2, updated: t2 });
      expect(await sink.get(slug)).toMatchObject({ slug, url: 'https://example.com/b', host: 'go.example', created: t });
      expect((await sink.list()).some((l) => l.slug === slug)).toBe(true);
      expect(await sink.delete(slug)).toBe(true);
      expect(await sink.delete(slug)).toBe(false);
      const history = await reader.execute('SELECT action FROM link_history WHERE slug = ?', [slug], { prepare: true });
      expect(history.rows.map((r) => r.get('action'))).toEqual(['delete', 'update', 'create']);
    });
  });
});
