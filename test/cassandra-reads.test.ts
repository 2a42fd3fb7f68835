import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TrackEvent } from '../src/track/event.js';
import { SinkQueryError } from '../src/sinks/errors.js';
import type { Statement } from '../src/sinks/cassandra/cql-reader.js';
import { MAX_READS, listEvents, type EventPage, type ListQuery } from '../src/sinks/cassandra/event-listing.js';
import { hostDayWrites } from '../src/sinks/cassandra/hosts.js';
import { createCassandraReads } from '../src/sinks/cassandra/reads.js';
import { decodeCursor, encodeCursor, filterPrint } from '../src/sinks/cassandra/read-cursor.js';
import {
  daysNewestFirst, eraseEventRows, eraseVisitorPartitions, eventsOfDay, eventsOfVisitor, hitsOfDay, hostsOfDay, scanOfDay, visitorKeys,
} from '../src/sinks/cassandra/read-statements.js';
import { SCHEMA_FILE, renderSchema, splitStatements } from '../src/sinks/cassandra/schema.js';
import { scanColumns, SCANNED_REPORTS } from '../src/sinks/cassandra/stats-aggregate.js';
import { contractEvent } from './helpers/sink-contract.js';
import { fakeCassandra, storeEvents as store, type FakeCassandra } from './cassandra-fake.js';

const T0 = Date.parse('2024-05-03T12:00:00.000Z');
const at = (hoursBack: number) => new Date(T0 - hoursBack * 3_600_000).toISOString();

async function everyPage(fake: FakeCassandra, q: Omit<ListQuery, 'before'>): Promise<{ events: TrackEvent[]; pages: number }> {
  const events: TrackEvent[] = [];
  let before: string | null = null;
  let pages = 0;
  do {
    const page: EventPage = await listEvents(fake, { ...q, ...(before ? { before } : {}) }, T0);
    events.push(...page.events);
    before = page.next;
    pages++;
  } while (before && pages < 100);
  return { events, pages };
}

function schemaColumns(): Map<string, Set<string>> {
  const tables = new Map<string, Set<string>>();
  const cql = renderSchema(readFileSync(SCHEMA_FILE, 'utf8'), { keyspace: 'k', replication: "{'class': 'SimpleStrategy'}" });
  for (const s of splitStatements(cql)) {
    const m = /^CREATE TABLE IF NOT EXISTS k\.(\w+) \((.*)\)/.exec(s.replace(/\) WITH .*$/, ')'));
    if (!m) continue;
    const body = (m[2] as string).replace(/PRIMARY KEY \(.*\)\s*$/, '').replace(/<[^>]*>/g, '');
    tables.set(m[1] as string, new Set(body.split(',').map((c) => c.trim().split(' ')[0] as string).filter(Boolean)));
  }
  return tables;
}

describe('Cassandra read statements', () => {
  const tables = schemaColumns();
  const range = { since: new Date(at(30)), until: new Date(at(0)) };

  it('name only columns of the schema, bind every value, and filter inside one partition', () => {
    const statements: Statement[] = [
      hostsOfDay('2024-05-03'),
      eventsOfDay('h', '2024-05-03', range),
      eventsOfDay('h', '2024-05-03', range, { ename: 'x', url: 'u' }, 'asc'),
      eventsOfVisitor('v', range, { uid: 'u' }),
      eventsOfVisitor('v'),
      scanOfDay('h', '2024-05-03', range, scanColumns(SCANNED_REPORTS)),
      hitsOfDay('h', '2024-05-03'),
      visitorKeys('v'),
      ...eraseEventRows({ eid: 'e', host: '', received: new Date(T0) }),
      ...eraseVisitorPartitions('v'),
    ];
    for (const s of statements) {
      expect(s.params, s.query).toHaveLength((s.query.match(/\?/g) ?? []).length);
      const m = /(?:FROM|DELETE FROM) (\w+)(?: WHERE (.*?))?(?: ORDER BY .*?)?(?: ALLOW FILTERING)?$/.exec(s.query);
      const table = tables.get(m?.[1] ?? '');
      expect(table, s.query).toBeDefined();
      for (const c of [...(m?.[2] ?? '').matchAll(/(\w+) (?:=|>=|<) \?/g)].map((x) => x[1] as string)) expect(table, `${s.query}: ${c}`).toContain(c);
      const select = /^SELECT (.*?) FROM/.exec(s.query)?.[1];
      if (select && select !== '*') for (const c of select.split(', ')) expect(table, `${s.query}: ${c}`).toContain(c);
      expect(s.query.includes('ALLOW FILTERING'), s.query).toBe(/ (ename|etyp|uid|url) = \?/.test(s.query));
    }
    expect(eventsOfDay('h', 'd', range, {}, 'asc').query).toMatch(/ORDER BY received ASC$/);
    expect(eventsOfDay('h', 'd', range, { etyp: 'page' }).params).toEqual(['h', 'd', range.since, range.until, 'page']);
    expect(eraseEventRows({ eid: 'e', host: 'h', received: new Date('2024-05-01T23:59:59.999Z') })[0]?.params).toEqual(['h', '2024-05-01', new Date('2024-05-01T23:59:59.999Z'), 'e']);
  });

  it('walks the UTC days of a range newest first, until exclusive', () => {
    const r = (s: string, u: string) => daysNewestFirst({ since: new Date(s), until: new Date(u) });
    expect(r('2024-05-01T10:00:00Z', '2024-05-03T00:00:00Z')).toEqual(['2024-05-02', '2024-05-01']);
    expect(r('2024-05-01T10:00:00Z', '2024-05-03T00:00:00.001Z')).toEqual(['2024-05-03', '2024-05-02', '2024-05-01']);
    expect(r('2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z')).toEqual([]);
    expect(r('2024-02-28T00:00:00Z', '2024-03-01T12:00:00Z')).toEqual(['2024-03-01', '2024-02-29', '2024-02-28']);
  });

  it('lists each host of a day once per batch', () => {
    const writes = hostDayWrites([contractEvent({ host: 'a' }), contractEvent({ host: 'a' }), contractEvent({ host: undefined })], 60);
    expect(writes.map((w) => w.params.slice(0, 2))).toEqual([[expect.any(String), 'a'], [expect.any(String), '']]);
    expect(writes[0]?.query).toBe('INSERT INTO hosts_by_day (day, host) VALUES (?, ?) USING TTL ?');
    expect([...(schemaColumns().get('hosts_by_day') ?? [])].sort()).toEqual(['day', 'host']);
  });

  it('makes opaque cursors and refuses anything else as a client error', () => {
    const c = { f: filterPrint({ ename: 'x' }), s: 1, u: 2, d: '2024-05-03', h: 'a.example', p: '00ff', done: true };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    for (const bad of ['', 'nope', encodeCursor({ f: 'x', p: 'not hex' }), Buffer.from('[1,2]').toString('base64url')]) {
      expect(() => decodeCursor(bad), bad).toThrow(SinkQueryError);
      try {
        decodeCursor(bad);
      } catch (err) {
        expect((err as SinkQueryError).cause).toBeUndefined(); // a client error: 400
      }
    }
    expect(filterPrint({ a: '1', b: undefined })).toBe(filterPrint({ a: '1' }));
    expect(filterPrint({ a: '1' })).not.toBe(filterPrint({ a: '2' }));
  });
});

describe('Cassandra listing', () => {
  const fake = fakeCassandra();
  const events = [
    ...Array.from({ length: 7 }, (_, i) => contractEvent({ host: 'a.example', received: at(i * 5), ename: i % 2 ? 'odd' : 'even', vid: 'v1' })),
    ...Array.from({ length: 4 }, (_, i) => contractEvent({ host: 'b.example', received: at(i * 9 + 1), ename: 'even', vid: 'v2' })),
    contractEvent({ host: undefined, received: at(2), vid: 'v1' }),
  ];
  store(fake, events);

  it('pages through every day and host, newest day first, then host by name, then newest first', async () => {
    const { events: seen, pages } = await everyPage(fake, { fields: {}, limit: 3, since: new Date(at(72)), until: new Date(T0 + 1) });
    expect(seen.map((e) => e.eid).sort()).toEqual(events.map((e) => e.eid).sort());
    expect(pages).toBeGreaterThanOrEqual(4);
    const key = (e: TrackEvent) => [e.received.slice(0, 10), e.host ?? '', String(-Date.parse(e.received)).padStart(20, ' ')];
    const order = seen.map((e) => key(e));
    const sorted = [...order].sort((x, y) => (x[0] === y[0] ? (x[1] === y[1] ? Number(x[2]) - Number(y[2]) : (x[1] as string).localeCompare(y[1] as string)) : (y[0] as string).localeCompare(x[0] as string)));
    expect(order).toEqual(sorted);
    expect(seen.find((e) => e.eid === events[11]?.eid)?.host).toBeUndefined(); // '' in the key, absent in the event
  });

  it('filters on fields inside each partition and by time', async () => {
    const even = await everyPage(fake, { fields: { ename: 'even' }, limit: 2, since: new Date(at(72)), until: new Date(T0 + 1) });
    expect(even.events.map((e) => e.eid).sort()).toEqual(events.filter((e) => e.ename === 'even').map((e) => e.eid).sort());
    const recent = await everyPage(fake, { fields: {}, limit: 100, since: new Date(at(10)), until: new Date(at(1)) });
    expect(recent.events.map((e) => e.eid).sort()).toEqual(events.filter((e) => Date.parse(e.received) >= Date.parse(at(10)) && Date.parse(e.received) < Date.parse(at(1))).map((e) => e.eid).sort());
    expect(fake.statements.some((s) => s.query.endsWith('ALLOW FILTERING') && s.params.includes('even'))).toBe(true);
  });

  it('lists a visitor from their own partition, paged by the driver state', async () => {
    const before = fake.statements.length;
    const { events: seen, pages } = await everyPage(fake, { fields: {}, vid: 'v1', limit: 3 });
    expect(seen.map((e) => e.eid)).toEqual(events.filter((e) => e.vid === 'v1').sort((a, b) => Date.parse(b.received) - Date.parse(a.received)).map((e) => e.eid));
    expect(pages).toBe(3);
    expect(fake.statements.slice(before).every((s) => s.query.includes('FROM events_by_visitor WHERE vid = ?'))).toBe(true);
  });

  it('refuses a cursor made for other filters', async () => {
    const page = await listEvents(fake, { fields: {}, limit: 1, since: new Date(at(72)) }, T0);
    expect(page.next).not.toBeNull();
    await expect(listEvents(fake, { fields: { ename: 'odd' }, limit: 1, before: page.next as string }, T0)).rejects.toThrow(/other filters/);
  });

  it('keeps one request within its reads over many empty days, and continues', async () => {
    const empty = fakeCassandra();
    store(empty, [contractEvent({ host: 'old.example', received: new Date(T0 - 400 * 86_400_000).toISOString() })]);
    const first = await listEvents(empty, { fields: {}, limit: 10, since: new Date(T0 - 500 * 86_400_000) }, T0);
    expect(first.events).toEqual([]);
    expect(first.next).not.toBeNull();
    expect(empty.statements.length).toBe(MAX_READS);
    const all = await everyPage(empty, { fields: {}, limit: 10, since: new Date(T0 - 500 * 86_400_000) });
    expect(all.events).toHaveLength(1);
  });
});

describe('Cassandra erasure, stats and export', () => {
  it('erases a visitor from every table, and nothing of anyone else', async () => {
    const fake = fakeCassandra();
    const mine = [contractEvent({ vid: 'gone', received: at(1) }), contractEvent({ vid: 'gone', host: 'b.example', received: at(30) }), contractEvent({ vid: 'gone', host: undefined, received: at(2) })];
    const theirs = [contractEvent({ vid: 'stays', received: at(1) })];
    store(fake, [...mine, ...theirs]);
    const reads = createCassandraReads(fake, () => T0);
    expect((await reads.visitorEvents('gone')).map((e) => e.eid)).toEqual([mine[0]?.eid, mine[2]?.eid, mine[1]?.eid]);
    expect(await reads.eraseVisitor('gone')).toBe(3);
    for (const name of ['events', 'events_by_day', 'events_by_visitor', 'visitors', 'sessions']) {
      const rows = fake.tables.get(name) ?? [];
      expect(rows.some((r) => r.vid === 'gone'), name).toBe(false);
      expect(rows.some((r) => r.vid === 'stays'), name).toBe(true);
    }
    const order = fake.statements.filter((s) => s.query.startsWith('DELETE')).map((s) => s.query.split(' ')[2]);
    expect(order.slice(-3)).toEqual(['events_by_visitor', 'visitors', 'sessions']); // the visitor partition last
    expect(await reads.eraseVisitor('gone')).toBe(0);
  });

  it('answers the reports from events_by_day and the hits counters', async () => {
    const fake = fakeCassandra();
    store(fake, [
      contractEvent({ vid: 'a', sid: 's1', url: 'https://x/home', received: at(1), ref_host: 'www.google.com', channel: 'search', country: 'FR' }),
      contractEvent({ vid: 'a', sid: 's1', url: 'https://x/home', received: at(1), campaign: 'spring', source: 'news', medium: 'email' }),
      contractEvent({ vid: 'b', sid: 's2', url: 'https://x/pricing', received: at(26), host: 'y.example' }),
      contractEvent({ vid: 'bot', url: 'https://x/home', received: at(2), bot: true, bot_kind: 'crawler' }),
      contractEvent({ vid: 'r', url: undefined, origin: 'pixel', received: at(3) }),
      contractEvent({ vid: 'm', url: undefined, origin: 'pixel', received: at(3), bot: true, bot_kind: 'mail-privacy' }),
      contractEvent({ vid: 'c', url: undefined, origin: 'shortlink', content: 'promo', received: at(4) }),
      contractEvent({ vid: 'old', url: 'https://x/home', received: at(24 * 9) }),
    ]);
    const reads = createCassandraReads(fake, () => T0);
    const s = await reads.stats({ since: new Date(at(48)), until: new Date(T0), bucket: 'day', top: 5 }, ['pages', 'totals', 'series', 'referrers', 'channels', 'campaigns', 'countries', 'emailOpens', 'linkClicks', 'bots']);
    // Humans in range: a (2), b, the pixel open r, the click c; sessions s1 (the default) and s2.
    expect(s.totals).toEqual({ events: 5, visitors: 4, sessions: 2 });
    expect(s.series).toEqual([
      { t: '2024-05-01T00:00:00.000Z', events: 0, visitors: 0 },
      { t: '2024-05-02T00:00:00.000Z', events: 1, visitors: 1 },
      { t: '2024-05-03T00:00:00.000Z', events: 4, visitors: 3 },
    ]);
    expect(s.pages).toEqual([{ key: 'https://x/home', events: 2 }, { key: 'https://x/pricing', events: 1 }]);
    expect(s.referrers).toEqual([{ key: 'www.google.com', events: 1, visitors: 1 }]);
    expect(s.channels).toEqual([{ key: '(unknown)', events: 4, visitors: 4 }, { key: 'search', events: 1, visitors: 1 }]);
    expect(s.campaigns).toEqual([{ key: 'spring', events: 1, visitors: 1, source: 'news', medium: 'email' }]);
    expect(s.emailOpens).toEqual({ human: 1, machine: 1 });
    expect(s.linkClicks).toEqual([{ slug: 'promo', clicks: 1, bots: 0 }]);
    expect(s.bots).toEqual({ filtered: 2, byKind: [{ key: 'crawler', events: 1, visitors: 1 }, { key: 'mail-privacy', events: 1, visitors: 1 }] });
    const scans = fake.statements.filter((x) => x.query.startsWith('SELECT received, vid, bot'));
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.every((x) => !x.query.includes('*'))).toBe(true);

    const before = fake.statements.length;
    expect(Object.keys(await reads.stats({ since: new Date(at(48)), until: new Date(T0), bucket: 'day', top: 5 }, ['pages']))).toEqual(['pages']);
    expect(fake.statements.slice(before).some((x) => x.query.includes('FROM events_by_day'))).toBe(false); // pages read counters only
  });

  it('exports a range oldest first, day by day', async () => {
    const fake = fakeCassandra();
    const events = [contractEvent({ received: at(1) }), contractEvent({ received: at(30), host: 'b.example' }), contractEvent({ received: at(29) }), contractEvent({ received: at(24 * 40) })];
    store(fake, events);
    const out: TrackEvent[] = [];
    for await (const e of createCassandraReads(fake, () => T0).events({ until: new Date(T0 + 1) })) out.push(e);
    expect(out.map((e) => e.eid)).toEqual([events[1]?.eid, events[2]?.eid, events[0]?.eid]); // the default window is 31 days
    expect(fake.statements.filter((s) => s.query.includes('FROM events_by_day')).every((s) => s.query.endsWith('ORDER BY received ASC'))).toBe(true);
  });
});
