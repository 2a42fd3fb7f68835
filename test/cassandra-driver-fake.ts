import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Client, types } from 'cassandra-driver';
import type { CqlClient } from '../src/sinks/cassandra/run.js';
import { SCHEMA_FILE, renderSchema, splitStatements } from '../src/sinks/cassandra/schema.js';
import { CQL_ENCODING } from '../src/sinks/cassandra/client-options.js';

/**
 * A stand-in for the driver's Client at the seam the sink writes through (`execute` and `batch`): it counts
 * what a cluster would receive (requests, statements, mutations, partitions read) and, with `encode`, builds
 * every request frame with the driver's own code (its execution options, parameter encoder and request
 * writers, protocol v4, types from setup/schema.cql as a PREPARED answer would give them). What it leaves out:
 * the socket write, the server's answer and its decoding, and the driver's request handler and pool.
 */
export interface RequestCount {
  /** Round trips: one per execute or batch. */
  requests: number;
  reads: number;
  /** Partitions the reads name (each key of an IN list is one). */
  partitionsRead: number;
  /** Statements sent, batched or not. */
  statements: number;
  /**
   * What Cassandra applies: one mutation per distinct partition key of a request (a batch's statements on the
   * same key, in any table of the keyspace, become one mutation).
   */
  mutations: number;
  batches: number;
}

export interface DriverFake extends CqlClient {
  readonly count: RequestCount;
  /** Event ids the next reads find stored (a redelivery), else none. */
  stored: Set<string>;
  reset(): void;
}

const require = createRequire(import.meta.url);
const requests = require('cassandra-driver/lib/requests.js') as {
  ExecuteRequest: new (q: string, id: Buffer, params: unknown[], o: unknown, meta: unknown) => { write(e: unknown, s: number): Buffer };
  BatchRequest: new (q: unknown[], o: unknown) => { write(e: unknown, s: number): Buffer };
};
const { DefaultExecutionOptions } = require('cassandra-driver/lib/execution-options.js') as {
  DefaultExecutionOptions: { create(o: unknown, c: unknown): unknown };
};
const Encoder = require('cassandra-driver/lib/encoder.js') as new (v: number, o: unknown) => unknown;

type TypeInfo = { code: number; info?: unknown };
const { dataTypes } = types;
const CQL_TYPES: Record<string, TypeInfo> = {
  text: { code: dataTypes.varchar }, double: { code: dataTypes.double }, int: { code: dataTypes.int },
  boolean: { code: dataTypes.boolean }, timestamp: { code: dataTypes.timestamp }, date: { code: dataTypes.date },
  counter: { code: dataTypes.counter }, 'map<text, text>': { code: dataTypes.map, info: [{ code: dataTypes.varchar }, { code: dataTypes.varchar }] },
};

/** Table → column → type, from the schema file. */
function schemaTypes(): Map<string, Map<string, TypeInfo>> {
  const tables = new Map<string, Map<string, TypeInfo>>();
  const cql = renderSchema(readFileSync(SCHEMA_FILE, 'utf8'), { keyspace: 'ks', replication: "{'class': 'SimpleStrategy'}" });
  for (const s of splitStatements(cql)) {
    const m = /^CREATE TABLE IF NOT EXISTS ks\.(\w+) \((.*)\)/.exec(s.replace(/\) WITH .*$/, ')'));
    if (!m) continue;
    const columns = new Map<string, TypeInfo>();
    for (const part of m[2]!.replace(/PRIMARY KEY \(.*\)\s*$/, '').split(/,(?![^<]*>)/)) {
      const [name, ...type] = part.trim().replace(/ PRIMARY KEY$/, '').split(' ');
      const info = CQL_TYPES[type.join(' ')];
      if (name && info) columns.set(name, info);
    }
    tables.set(m[1]!, columns);
  }
  return tables;
}

const PARTITION_KEYS: Readonly<Record<string, readonly string[]>> = {
  events: ['eid'], events_by_day: ['host', 'day'], events_by_visitor: ['vid'], visitors: ['vid'], sessions: ['vid'],
  hosts_by_day: ['day'], hits: ['host', 'day'],
};

interface Shape {
  table: string;
  /** Bound columns in order (TTL and TIMESTAMP as pseudo-columns). */
  columns: string[];
  types: TypeInfo[];
  read: boolean;
}

function shapeOf(query: string, tables: Map<string, Map<string, TypeInfo>>): Shape {
  const typeOf = (table: string, c: string): TypeInfo => {
    if (c === '$ttl') return { code: dataTypes.int };
    if (c === '$timestamp') return { code: dataTypes.bigint };
    if (c === '$in') return { code: dataTypes.list, info: { code: dataTypes.varchar } };
    const t = tables.get(table)?.get(c);
    if (!t) throw new Error(`no column ${table}.${c}`);
    return t;
  };
  let table: string;
  let columns: string[];
  let read = false;
  let m: RegExpExecArray | null;
  if ((m = /^INSERT INTO (\w+) \(([^)]*)\) VALUES \([^)]*\)(.*)$/.exec(query))) {
    table = m[1]!;
    columns = m[2]!.split(', ');
    if (m[3]!.includes('TTL ?')) columns.push('$ttl');
    if (m[3]!.includes('TIMESTAMP ?')) columns.push('$timestamp');
  } else if ((m = /^UPDATE (\w+) SET (\w+) = \w+ \+ \? WHERE (.*)$/.exec(query))) {
    table = m[1]!;
    columns = [m[2]!, ...m[3]!.split(' AND ').map((p) => p.split(' ')[0]!)];
  } else if ((m = /^SELECT .* FROM (\w+) WHERE (\w+) (=|IN) \?$/.exec(query))) {
    table = m[1]!;
    columns = [m[3] === 'IN' ? '$in' : m[2]!];
    read = true;
  } else throw new Error(`the fake driver does not know ${query}`);
  return { table, columns, types: columns.map((c) => typeOf(table, c)), read };
}

export function driverFake({ encode = false }: { encode?: boolean } = {}): DriverFake {
  const tables = schemaTypes();
  const shapes = new Map<string, Shape & { id: Buffer; meta: unknown }>();
  // An unconnected client gives the execution options the driver builds per request its real defaults.
  const client = new Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'dc1', keyspace: 'ks', encoding: CQL_ENCODING });
  (client as unknown as { controlConnection: { protocolVersion: number } }).controlConnection.protocolVersion = 4;
  const encoder = new Encoder(4, (client as unknown as { options: unknown }).options);
  const empty = { rowLength: 0, rows: [] as unknown[] };
  const count: RequestCount = { requests: 0, reads: 0, partitionsRead: 0, statements: 0, mutations: 0, batches: 0 };
  const prepared = (query: string) => {
    let s = shapes.get(query);
    if (!s) {
      const shape = shapeOf(query, tables);
      s = { ...shape, id: Buffer.from(String(shapes.size).padStart(16, '0')), meta: { columns: shape.types.map((type) => ({ type })), resultId: undefined } };
      shapes.set(query, s);
    }
    return s;
  };
  const keyOf = (s: Shape, params: readonly unknown[]) => {
    let k = '';
    for (const c of PARTITION_KEYS[s.table] ?? []) k += `${String(params[s.columns.indexOf(c)])}\u0000`;
    return k;
  };

  const fake: DriverFake = {
    count,
    stored: new Set(),
    reset() {
      Object.assign(count, { requests: 0, reads: 0, partitionsRead: 0, statements: 0, mutations: 0, batches: 0 });
    },
    execute: (async (query: string, params: unknown[] = [], options: object = {}) => {
      const s = prepared(query);
      count.requests++;
      count.statements++;
      if (encode) new requests.ExecuteRequest(query, s.id, params, DefaultExecutionOptions.create(options, client), s.meta).write(encoder, 0);
      if (!s.read) {
        count.mutations++;
        return empty;
      }
      count.reads++;
      const keys = (s.columns[0] === '$in' ? params[0] : [params[0]]) as string[];
      count.partitionsRead += keys.length;
      const rows = keys.filter((k) => fake.stored.has(k)).map((eid) => ({ eid, get: () => eid }));
      return { rowLength: rows.length, rows };
    }) as unknown as CqlClient['execute'],
    batch: (async (queries: { query: string; params: unknown[] }[], options: object = {}) => {
      count.requests++;
      count.batches++;
      count.statements += queries.length;
      const keys = new Set<string>();
      const items = queries.map(({ query, params }) => {
        const s = prepared(query);
        keys.add(keyOf(s, params));
        return { query, params, queryId: s.id, meta: s.meta };
      });
      count.mutations += keys.size;
      if (encode) new requests.BatchRequest(items, DefaultExecutionOptions.create(options, client)).write(encoder, 0);
      return empty;
    }) as unknown as CqlClient['batch'],
  };
  return fake;
}
