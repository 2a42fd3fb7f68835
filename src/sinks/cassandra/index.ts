export { createCassandraSink, type CassandraSink } from './sink.js';
export { applyCassandraSchema, renderSchema, splitStatements, SCHEMA_FILE, type SchemaLog } from './schema.js';
export { eventToRows } from './event-rows.js';
