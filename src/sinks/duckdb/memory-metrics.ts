import type { DuckDBConnection } from '@duckdb/node-api';
import { Gauge } from 'prom-client';
import type { Telemetry } from '../../telemetry/telemetry.js';

/** DuckDB's own accounting of the memory it holds, in bytes by tag (BASE_TABLE, ART_INDEX, ...). */
export type MemoryReader = () => Promise<ReadonlyMap<string, number>>;

// One gauge per registry, summing every open store of the process (tests open several).
const readers = new WeakMap<Telemetry, Set<MemoryReader>>();

/**
 * `gatehouse_duckdb_memory_bytes{tag}`: what DuckDB holds in its buffer pool (bounded by
 * `sinks.duckdb.memoryLimit`), read at scrape time. A consumer's RSS grows while this pool fills with cached
 * table blocks, up to its bound: the soak shows it beside the consumer's RSS.
 * Returns the unregistration, for the store's close.
 */
export function registerDuckDbMemory(telemetry: Telemetry, read: MemoryReader): () => void {
  let set = readers.get(telemetry);
  if (!set) {
    const all = new Set<MemoryReader>();
    set = all;
    readers.set(telemetry, all);
    new Gauge({
      name: 'gatehouse_duckdb_memory_bytes',
      help: "Memory DuckDB holds (its duckdb_memory() accounting), by tag; bounded by sinks.duckdb.memoryLimit.",
      labelNames: ['tag'],
      registers: [telemetry.registry],
      async collect() {
        this.reset();
        for (const r of all) {
          const bytes = await r().catch(() => undefined);
          for (const [tag, n] of bytes ?? []) this.inc({ tag }, n);
        }
      },
    });
  }
  set.add(read);
  return () => set.delete(read);
}

export async function readDuckDbMemory(conn: DuckDBConnection): Promise<Map<string, number>> {
  const reader = await conn.runAndReadAll('SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0');
  return new Map(reader.getRows().map(([tag, bytes]) => [String(tag), Number(bytes)]));
}
