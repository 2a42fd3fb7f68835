export { createCassandraSink, type CassandraSink } from './sink.js';
export { applyCassandraSchema, renderSchema, splitStatements, SCHEMA_FILE, type SchemaLog } from './schema.js';
export { eventToRows } from './event-rows.js';
export { createCassandraReads, type CassandraReads } from './reads.js';
export type { EventPage, ListQuery } from './event-listing.js';
export type { FieldFilter, TimeRange } from './read-statements.js';
export { CASSANDRA_REPORTS, type CassandraReport, type CassandraStats, type PageHits } from './stats.js';
export type { ScanRange } from './stats-aggregate.js';
