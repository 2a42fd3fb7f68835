import type { Config } from '../settings/schema.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Sink } from '../sinks/sink.js';
import type { LinkStore } from '../track/links/link-store.js';
import type { DuckDbStore } from '../sinks/duckdb/index.js';
import type { CassandraSink } from '../sinks/cassandra/index.js';

export interface Stores {
  readonly sinks: Sink[];
  /** Where short links live: DuckDB when it is a sink here, else Cassandra when configured. */
  readonly links?: LinkStore;
  readonly duckdb?: DuckDbStore;
  /** The Cassandra sink, when it is one here: its reads serve the admin API in cluster mode. */
  readonly cassandra?: CassandraSink;
}

/**
 * Builds the sinks named in `consumer.sinks` (not started). Each sink's module, and its driver, is loaded only
 * when it is named: a gateway without Cassandra never loads cassandra-driver.
 */
export async function buildStores(config: Pick<Config, 'consumer' | 'sinks'>, telemetry: Telemetry, names = config.consumer.sinks): Promise<Stores> {
  const sinks: Sink[] = [];
  let duckdb: DuckDbStore | undefined;
  let links: LinkStore | undefined;
  let cassandra: CassandraSink | undefined;
  for (const name of names) {
    if (name === 'duckdb') {
      const { createDuckDbStore } = await import('../sinks/duckdb/index.js');
      duckdb = createDuckDbStore({ config: config.sinks.duckdb, telemetry });
      sinks.push(duckdb);
      links ??= duckdb;
    } else {
      const { createCassandraSink } = await import('../sinks/cassandra/index.js');
      cassandra = createCassandraSink({ config: config.sinks.cassandra, telemetry });
      sinks.push(cassandra);
      links ??= cassandra;
    }
  }
  return { sinks, ...(links ? { links } : {}), ...(duckdb ? { duckdb } : {}), ...(cassandra ? { cassandra } : {}) };
}
