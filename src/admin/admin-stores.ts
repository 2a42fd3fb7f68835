import type { AdminStore } from './admin-store.js';
import { cassandraAdminStore } from './cassandra-admin.js';
import type { AdminDataDeps } from './deps.js';
import { duckDbAdminStore } from './duckdb-admin.js';

/**
 * The stores the admin API reads from, DuckDB first: when both are sinks (embedded mode with Cassandra as a
 * second sink), listing, access, stats and export read DuckDB, and erasure goes to every store that can.
 */
export function adminStores(deps: Pick<AdminDataDeps, 'store' | 'cassandra'>): AdminStore[] {
  return [...(deps.store ? [duckDbAdminStore(deps.store)] : []), ...(deps.cassandra ? [cassandraAdminStore(deps.cassandra)] : [])];
}

/** The first store with a capability. */
export function storeWith<K extends keyof AdminStore>(stores: readonly AdminStore[], capability: K): (AdminStore & Required<Pick<AdminStore, K>>) | undefined {
  return stores.find((s): s is AdminStore & Required<Pick<AdminStore, K>> => s[capability] !== undefined);
}
