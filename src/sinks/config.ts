import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section, Duration, Size } from '../config/types.js';

export const DuckDbConfig = Section(
  {
    path: Type.String({ default: 'data/gatehouse.duckdb', minLength: 1, description: 'DuckDB database file.' }),
    retention: Duration('0s', {
      description: 'Events older than this are deleted by an hourly prune job (and once at start); "0s": kept forever.',
    }),
    memoryLimit: Size('512MB', {
      description:
        "DuckDB's buffer pool limit (its memory_limit); past it DuckDB spills to a .tmp directory beside the file. What fills it over time is DuckDB's cache of the file's blocks; what it must hold is a vector of 2,048 of the largest events, which DuckDB's checkpoints and exports work on: at least 96MB plus 4,096 times spool.maxEventSize (at the default 96KB, 490MB; checked by validate). The default fits a small server; raise it for heavy queries through the admin API. 0: DuckDB's own default, 80% of RAM, which a long-running process grows into.",
    }),
    threads: Type.Integer({
      minimum: 0,
      maximum: 1024,
      default: 0,
      description:
        "DuckDB's worker threads (its threads setting). 0: one per CPU this process may run on (its CPU affinity, as taskset or a cpuset set it); DuckDB alone would start one per core of the machine, and threads beyond the CPUs a process has only contend for them.",
    }),
    retryWindow: Duration('2m', {
      description:
        'A client that sends its own eid and retries a request is stored once when the retry is received within this long of the first copy ("0s": not looked for). Copies the pipeline makes (redeliveries) are always stored once, whatever this says.',
    }),
  },
  { description: 'The embedded DuckDB store.' },
);

export const CassandraConfig = Section(
  {
    contactPoints: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Cassandra/Elassandra nodes (host or host:port).',
    }),
    localDataCenter: Type.String({ default: 'datacenter1', description: 'Data center of the nodes to prefer.' }),
    keyspace: Type.String({ default: 'gatehouse', pattern: '^[a-z][a-z0-9_]*$', description: 'Keyspace (see setup/schema.cql).' }),
    replication: Type.String({
      default: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
      description: 'Replication map used by `gatehouse setup cassandra` when it creates the keyspace.',
    }),
    username: Type.String({ default: '', description: 'User name.' }),
    password: Type.String({ default: '', description: 'Password; use "${CASSANDRA_PASSWORD}".' }),
    // Literals written out as a tuple: TypeBox types a union built by .map() over an array as `never`.
    consistency: Type.Union(
      [
        Type.Literal('ONE'), Type.Literal('TWO'), Type.Literal('THREE'), Type.Literal('QUORUM'), Type.Literal('ALL'),
        Type.Literal('LOCAL_QUORUM'), Type.Literal('EACH_QUORUM'), Type.Literal('LOCAL_ONE'),
      ],
      { default: 'LOCAL_QUORUM', description: 'Consistency level of writes and reads.' },
    ),
    retention: Duration('0s', { description: 'TTL of event rows ("0s": kept forever).' }),
    tls: Section(
      {
        enabled: Type.Boolean({ default: false, description: 'Connect with TLS (server certificates verified).' }),
        ca: Type.String({ default: '', description: 'CA certificate (PEM) to verify the nodes with.' }),
      },
      { description: 'TLS to Cassandra.' },
    ),
  },
  { description: 'The Cassandra/Elassandra sink.' },
);

export const SinksConfig = Section(
  { duckdb: DuckDbConfig, cassandra: CassandraConfig },
  { description: 'Where the consumer stores events.' },
);

export type SinksConfig = StaticDecode<typeof SinksConfig>;
export type DuckDbConfig = StaticDecode<typeof DuckDbConfig>;
export type CassandraConfig = StaticDecode<typeof CassandraConfig>;
