import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { types } from 'cassandra-driver';
import type { CassandraConfig } from '../src/sinks/config.js';
import { contractEvent, contractRecords } from './helpers/sink-contract.js';
import { EVENT_COLUMNS } from '../src/sinks/event-columns.js';
import { SinkWriteError } from '../src/sinks/sink.js';
import { estimateBytes, partitionBatches, spreadBatches } from '../src/sinks/cassandra/batching.js';
import { clientOptions } from '../src/sinks/cassandra/client-options.js';
import { UNSET, dayOf, micros, ttlSeconds, type CqlWrite } from '../src/sinks/cassandra/cql.js';
import { eventToRows } from '../src/sinks/cassandra/event-rows.js';
import { hitIncrements } from '../src/sinks/cassandra/hits.js';
import { linkWrites } from '../src/sinks/cassandra/links.js';
import { recordKeyQuery, recordToRow } from '../src/sinks/cassandra/record-rows.js';
import { SCHEMA_FILE, columnExists, renderSchema, splitStatements } from '../src/sinks/cassandra/schema.js';

const config: CassandraConfig = {
  contactPoints: ['10.0.0.1', '10.0.0.2:9043'],
  localDataCenter: 'dc1',
  keyspace: 'gatehouse',
  replication: "{'class': 'NetworkTopologyStrategy', 'dc1': 3}",
  username: '',
  password: '',
  consistency: 'LOCAL_QUORUM',
  retention: 0,
  tls: { enabled: false, ca: '' },
};

/** Table → columns, read from setup/schema.cql itself, so statements are checked against the real schema. */
function schemaTables(): Map<string, Set<string>> {
  const tables = new Map<string, Set<string>>();
  for (const s of splitStatements(renderSchema(readFileSync(SCHEMA_FILE, 'utf8'), config))) {
    const m = /^CREATE TABLE IF NOT EXISTS gatehouse\.(\w+) \((.*)\)/.exec(s.replace(/\) WITH .*$/, ')'));
    if (!m) continue;
    const body = m[2]!.replace(/PRIMARY KEY \(.*\)\s*$/, '').replace(/<[^>]*>/g, '');
    tables.set(m[1]!, new Set(body.split(',').map((c) => c.trim().split(' ')[0]!).filter(Boolean)));
  }
  return tables;
}

function columnsOf(w: CqlWrite): string[] {
  const m = /^INSERT INTO (\w+) \(([^)]*)\)/.exec(w.query);
  return m ? m[2]!.split(', ') : [];
}

function param(w: CqlWrite, column: string): unknown {
  return w.params[columnsOf(w).indexOf(column)];
}

describe('Cassandra statements', () => {
  const tables = schemaTables();

  it('has an events table with one column per event field', () => {
    expect([...tables.get('events')!].sort()).toEqual(EVENT_COLUMNS.map((c) => c.name).sort());
    expect([...tables.get('events_by_day')!].sort()).toEqual([...EVENT_COLUMNS.map((c) => c.name), 'day'].sort());
  });

  it('maps an event to rows of the schema, the events row last', () => {
    const event = contractEvent({ received: '2024-05-01T23:59:59.123Z', lat: 1.5, cflags: 3 });
    const rows = eventToRows(event, { ttlSeconds: 0 });
    expect(rows.map((r) => r.table)).toEqual(['events_by_day', 'events_by_visitor', 'visitors', 'sessions', 'events']);
    for (const row of rows) {
      for (const column of columnsOf(row)) expect(tables.get(row.table), `${row.table}.${column}`).toContain(column);
      expect(row.params).toHaveLength((row.query.match(/\?/g) ?? []).length);
      expect(row.query).not.toContain('USING TTL');
    }
    const [byDay, , visitor, , events] = rows as [CqlWrite, CqlWrite, CqlWrite, CqlWrite, CqlWrite];
    expect(param(byDay, 'day')).toBe('2024-05-01');
    expect(param(events, 'received')).toEqual(new Date('2024-05-01T23:59:59.123Z'));
    expect(param(events, 'lat')).toBe(1.5);
    expect(param(events, 'cflags')).toBe(3);
    expect(param(events, 'first')).toBe(true);
    expect(param(events, 'params')).toEqual(new Map(Object.entries(event.params ?? {})));
    expect(columnsOf(events)).not.toContain('uid'); // absent fields are not written: no tombstones
    expect(param(visitor, 'uid')).toBe(UNSET); // nor in visitor state, where they are bound unset
    // Events setting the same fields share their statements (each prepared once); others get their own.
    const same = eventToRows(contractEvent({ received: '2024-05-02T00:00:00.000Z', lat: 2, cflags: 1 }), { ttlSeconds: 0 });
    expect(same.map((r) => r.query)).toEqual(rows.map((r) => r.query));
    const other = eventToRows(contractEvent({ uid: 'u' }), { ttlSeconds: 0 });
    expect(columnsOf(other.at(-1)!)).toContain('uid');
    expect(visitor.query).toMatch(/USING TIMESTAMP \?$/);
    expect(visitor.params.at(-1)).toBe('1714607999123000');
  });

  it('adds the retention as a TTL, and the receive time as the write time of visitor state', () => {
    const rows = eventToRows(contractEvent(), { ttlSeconds: ttlSeconds(7 * 86_400_000) });
    for (const row of rows) expect(row.query).toMatch(/USING TTL \?( AND TIMESTAMP \?)?$/);
    const visitor = rows.find((r) => r.table === 'visitors')!;
    expect(visitor.params.slice(-2)).toEqual([604_800, expect.stringMatching(/^\d+000$/)]);
  });

  it('writes no visitor or session state for first=false, and no visitor rows without a vid', () => {
    expect(eventToRows(contractEvent({ first: false }), { ttlSeconds: 0 }).map((r) => r.table)).toEqual([
      'events_by_day',
      'events_by_visitor',
      'events',
    ]);
    const anonymous = contractEvent({ vid: undefined, host: undefined });
    const rows = eventToRows(anonymous, { ttlSeconds: 0 });
    expect(rows.map((r) => r.table)).toEqual(['events_by_day', 'events']);
    expect(param(rows[0]!, 'host')).toBe('');
  });

  it('refuses an event without a valid receive time', () => {
    expect(() => eventToRows(contractEvent({ received: 'nope' }), { ttlSeconds: 0 })).toThrow(SinkWriteError);
  });

  it('counts each new page event once per URL and day, skipping stored events and bots', () => {
    const a = contractEvent({ url: 'https://x/a' });
    const b = contractEvent({ url: 'https://x/a' });
    const c = contractEvent({ url: 'https://x/b' });
    const bot = contractEvent({ url: 'https://x/a', bot: true });
    const noUrl = contractEvent({ url: undefined });
    const incs = hitIncrements([a, b, c, bot, noUrl], new Set([c.eid]));
    expect(incs).toHaveLength(1);
    expect(incs[0]!.query).toBe('UPDATE hits SET hits = hits + ? WHERE host = ? AND day = ? AND url = ?');
    expect(incs[0]!.params).toEqual(['2', 'contract.example', dayOf(new Date(a.received)), 'https://x/a']);
  });

  it('maps service records to rows keyed by id', () => {
    for (const record of contractRecords()) {
      const row = recordToRow(record);
      for (const column of columnsOf(row)) expect(tables.get(row.table), `${row.table}.${column}`).toContain(column);
      expect(row.params).toContain(record.id);
      expect(recordKeyQuery(record).params).toContain(record.id);
    }
    const count = recordToRow(contractRecords()[1]!);
    expect(param(count, 'amount')).toBe(2);
    expect(() => recordToRow({ ...contractRecords()[0]!, time: 'x' })).toThrow(SinkWriteError);
  });

  it('keeps the first creation time when a link is updated, and records the change', () => {
    const before = { slug: 's', url: 'https://a', created: '2024-01-01T00:00:00.000Z', updated: '2024-01-01T00:00:00.000Z' };
    const [link, history] = linkWrites({ ...before, url: 'https://b', created: '2024-02-01T00:00:00.000Z', updated: '2024-02-01T00:00:00.000Z' }, before, new Date());
    expect(link!.params[3]).toEqual(new Date('2024-01-01T00:00:00.000Z'));
    expect(history!.params.slice(0, 4)).toEqual(['s', new Date('2024-02-01T00:00:00.000Z'), 'update', 'https://b']);
  });

  it('batches only writes of one partition, within the size limits, keeping their order', () => {
    const w = (partition: string, n: number): CqlWrite => ({ query: 'Q', params: ['x'.repeat(n)], table: 't', partition });
    const writes = [w('a', 10), w('b', 10), w('a', 10), w('a', 10), w('b', 3000), w('b', 3000)];
    const groups = partitionBatches(writes, { maxStatements: 2, maxBytes: 5000 });
    for (const g of groups) expect(new Set(g.map((x) => x.partition)).size).toBe(1);
    expect(groups.map((g) => g.map((x) => writes.indexOf(x)))).toEqual([[0, 2], [1, 4], [3], [5]]);
  });

  it('spreads writes of many partitions into batches under the default warn thresholds, keeping their order', () => {
    const w = (i: number, n: number): CqlWrite => ({ query: 'Q', params: ['x'.repeat(n)], table: 'events', partition: `p${i}` });
    const writes = Array.from({ length: 25 }, (_, i) => w(i, i === 12 ? 6000 : 100));
    const groups = spreadBatches(writes);
    expect(groups.flat()).toEqual(writes);
    for (const g of groups) {
      expect(g.length).toBeLessThanOrEqual(10);
      if (g.length > 1) expect(g.reduce((n, x) => n + estimateBytes(x), 0)).toBeLessThanOrEqual(5 * 1024);
    }
    expect(groups.find((g) => g.includes(writes[12]!))).toEqual([writes[12]]); // too big to share: alone
  });

  it('builds driver options from the config', () => {
    const plain = clientOptions(config);
    expect(plain).toMatchObject({ contactPoints: config.contactPoints, localDataCenter: 'dc1', keyspace: 'gatehouse' });
    expect(plain.queryOptions?.consistency).toBe(types.consistencies.localQuorum);
    expect(plain.credentials).toBeUndefined();
    expect(plain.sslOptions).toBeUndefined();
    const secure = clientOptions(
      { ...config, username: 'u', password: 'p', consistency: 'ONE', tls: { enabled: true, ca: '' } },
      { keyspace: false, caPem: 'PEM' },
    );
    expect(secure.keyspace).toBeUndefined();
    expect(secure.credentials).toEqual({ username: 'u', password: 'p' });
    expect(secure.sslOptions).toEqual({ rejectUnauthorized: true, ca: ['PEM'] });
    expect(secure.queryOptions?.consistency).toBe(types.consistencies.one);
  });

  it('renders setup/schema.cql into idempotent statements', () => {
    const statements = splitStatements(renderSchema(readFileSync(SCHEMA_FILE, 'utf8'), config));
    expect(statements[0]).toBe(
      "CREATE KEYSPACE IF NOT EXISTS gatehouse WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3}",
    );
    for (const s of statements) {
      // Column additions are idempotent too: applyCassandraSchema counts "already there" as done (columnExists).
      expect(s).toMatch(/^(CREATE (KEYSPACE|TABLE) IF NOT EXISTS |ALTER TABLE gatehouse\.\w+ ADD \w+ \w+$)/);
      expect(s).not.toContain('{{');
      expect(s).not.toContain('--');
    }
    expect([...tables.keys()].sort()).toEqual(
      ['counters', 'events', 'events_by_day', 'events_by_visitor', 'exposures_by_day', 'hits', 'hosts_by_day', 'link_history', 'links', 'logs', 'sessions', 'updates', 'visitors'],
    );
    // Every added column is in its table's CREATE statement as well, so new and upgraded keyspaces agree.
    for (const s of statements.filter((x) => x.startsWith('ALTER'))) {
      const [, table, column] = /^ALTER TABLE gatehouse\.(\w+) ADD (\w+)/.exec(s)!;
      expect(tables.get(table!), s).toContain(column);
      expect(columnExists(s, new Error(`Invalid column name ${column} because it conflicts with an existing column`))).toBe(true);
    }
    expect(columnExists('ALTER TABLE gatehouse.events ADD x text', new Error('Keyspace gatehouse does not exist'))).toBe(false);
    expect(columnExists('CREATE TABLE x (a text)', new Error('x already exists'))).toBe(false);
    expect(() => renderSchema('', { keyspace: 'k', replication: "{'class': 'x'}; DROP KEYSPACE k" })).toThrow(/replication/);
    expect(() => renderSchema('', { keyspace: 'K-1', replication: '{}' })).toThrow(/keyspace/);
  });

  it('writes times as the driver expects them', () => {
    expect(micros(new Date(1))).toBe('1000');
    expect(ttlSeconds(0)).toBe(0);
    expect(ttlSeconds(1500)).toBe(2);
  });
});
