import type { TrackEvent } from '../src/track/event.js';
import { UNSET, type CqlWrite } from '../src/sinks/cassandra/cql.js';
import { eventToRows } from '../src/sinks/cassandra/event-rows.js';
import { hitIncrements } from '../src/sinks/cassandra/hits.js';
import { hostDayWrites } from '../src/sinks/cassandra/hosts.js';
import type { CqlPage, CqlReader, CqlRow, Statement } from '../src/sinks/cassandra/cql-reader.js';

/**
 * An in-memory stand-in for the few CQL shapes the sink writes and the admin reads use, so their logic runs
 * without a cluster (test/cassandra-reads.test.ts, test/admin-cassandra.test.ts). It checks what a real
 * node would: every restriction is bound in order, and paging states continue where the last page ended.
 * Not a CQL engine: it knows single-partition SELECT, INSERT, DELETE and the hits counter UPDATE.
 */
export interface FakeCassandra extends CqlReader {
  readonly tables: Map<string, Record<string, unknown>[]>;
  readonly statements: Statement[];
  /** Applies writes as the sink would send them (eventToRows, hostDayWrites, hitIncrements). */
  apply(writes: readonly CqlWrite[]): void;
}

const CLUSTERING: Readonly<Record<string, (a: Record<string, unknown>, b: Record<string, unknown>) => number>> = {
  events_by_day: newestFirst,
  events_by_visitor: newestFirst,
  hosts_by_day: (a, b) => String(a.host).localeCompare(String(b.host)),
  hits: (a, b) => String(a.url).localeCompare(String(b.url)),
};

function newestFirst(a: Record<string, unknown>, b: Record<string, unknown>): number {
  return (b.received as Date).getTime() - (a.received as Date).getTime() || String(a.eid).localeCompare(String(b.eid));
}

function same(a: unknown, b: unknown): boolean {
  return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;
}

function restrictions(where: string, params: readonly unknown[]): ((row: Record<string, unknown>) => boolean)[] {
  const parts = where.split(' AND ');
  if (parts.length !== params.length) throw new Error(`${parts.length} restrictions, ${params.length} values: ${where}`);
  return parts.map((part, i) => {
    const m = /^(\w+) (=|>=|<) \?$/.exec(part.trim());
    if (!m) throw new Error(`unknown restriction ${part}`);
    const [, column, op] = m as unknown as [string, string, string];
    const v = params[i];
    if (op === '=') return (row) => same(row[column], v);
    const t = (v as Date).getTime();
    return op === '>=' ? (row) => (row[column] as Date).getTime() >= t : (row) => (row[column] as Date).getTime() < t;
  });
}

export function fakeCassandra(): FakeCassandra {
  const tables = new Map<string, Record<string, unknown>[]>();
  const statements: Statement[] = [];
  const table = (name: string) => {
    let rows = tables.get(name);
    if (!rows) tables.set(name, (rows = []));
    return rows;
  };
  const keys: Readonly<Record<string, readonly string[]>> = {
    events: ['eid'], events_by_day: ['host', 'day', 'received', 'eid'], events_by_visitor: ['vid', 'received', 'eid'],
    visitors: ['vid'], sessions: ['vid', 'sid'], hosts_by_day: ['day', 'host'], hits: ['host', 'day', 'url'],
    exposures_by_day: ['xid', 'day', 'vid', 'received', 'eid'],
  };
  const upsert = (name: string, values: Record<string, unknown>) => {
    const rows = table(name);
    const found = rows.find((r) => (keys[name] ?? []).every((k) => same(r[k], values[k])));
    if (found) Object.assign(found, values);
    else rows.push(values);
  };

  return {
    tables,
    statements,
    apply(writes) {
      for (const w of writes) {
        const insert = /^INSERT INTO (\w+) \(([^)]*)\)/.exec(w.query);
        if (insert) {
          const columns = (insert[2] as string).split(', ');
          const values: Record<string, unknown> = {};
          columns.forEach((c, i) => {
            if (w.params[i] !== UNSET) values[c] = w.params[i];
          });
          upsert(insert[1] as string, values);
          continue;
        }
        if (w.query.startsWith('UPDATE hits SET hits = hits + ?')) {
          const [n, host, day, url] = w.params as [string, string, string, string];
          const row = table('hits').find((r) => r.host === host && r.day === day && r.url === url);
          if (row) row.hits = Number(row.hits) + Number(n);
          else table('hits').push({ host, day, url, hits: Number(n) });
          continue;
        }
        throw new Error(`the fake does not know ${w.query}`);
      }
    },
    async page(statement: Statement, { fetchSize, pageState }): Promise<CqlPage> {
      statements.push(statement);
      const m = /^SELECT (.+?) FROM (\w+) WHERE (.+?)( ORDER BY received ASC)?( ALLOW FILTERING)?$/.exec(statement.query);
      if (!m) throw new Error(`the fake does not know ${statement.query}`);
      const [, columns, name, where, asc] = m as unknown as [string, string, string, string, string | undefined];
      const tests = restrictions(where, statement.params);
      const order = CLUSTERING[name] ?? (() => 0);
      const rows = table(name).filter((r) => tests.every((t) => t(r))).sort(order);
      if (asc) rows.reverse();
      const start = pageState ? parseInt(pageState, 16) : 0;
      const slice = rows.slice(start, start + fetchSize);
      const pick = (r: Record<string, unknown>): CqlRow =>
        columns === '*' ? { ...r } : Object.fromEntries(columns.split(', ').map((c) => [c, r[c] ?? null]));
      const end = start + slice.length;
      return { rows: slice.map(pick), ...(end < rows.length ? { pageState: end.toString(16).padStart(8, '0') } : {}) };
    },
    async execute(statement: Statement) {
      statements.push(statement);
      const m = /^DELETE FROM (\w+) WHERE (.+)$/.exec(statement.query);
      if (!m) throw new Error(`the fake does not know ${statement.query}`);
      const tests = restrictions(m[2] as string, statement.params);
      const rows = table(m[1] as string);
      tables.set(m[1] as string, rows.filter((r) => !tests.every((t) => t(r))));
    },
  };
}

/** Writes events to the fake as the sink does (their rows, the hosts of their days, the hits counters). */
export function storeEvents(fake: FakeCassandra, events: readonly TrackEvent[]): void {
  fake.apply(events.flatMap((e) => eventToRows(e, { ttlSeconds: 0 })));
  fake.apply(hostDayWrites(events, 0));
  fake.apply(hitIncrements(events, new Set()));
}
