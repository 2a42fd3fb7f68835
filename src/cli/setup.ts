import type { Config } from '../settings/schema.js';
import { createLogger } from '../telemetry/logger.js';
import { applyCassandraSchema } from '../sinks/cassandra/index.js';

/** `gatehouse setup cassandra`: creates the keyspace and tables of setup/schema.cql (idempotent). */
export async function setupCassandra(config: Readonly<Config>, out: (line: string) => void): Promise<number> {
  if (config.sinks.cassandra.contactPoints.length === 0) {
    out('sinks.cassandra.contactPoints is empty: nothing to set up');
    return 2;
  }
  const applied = await applyCassandraSchema(config.sinks.cassandra, createLogger(config.log.level));
  out(`keyspace ${config.sinks.cassandra.keyspace}: ${applied} statements applied`);
  return 0;
}
