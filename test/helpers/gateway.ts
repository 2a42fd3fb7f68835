import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/settings/load.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createGateway, type Gateway } from '../../src/gateway/gateway.js';
import type { DuckDbStore } from '../../src/sinks/duckdb/index.js';
import { waitFor } from './wait.js';

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly adminUrl: string;
  readonly dir: string;
  readonly store: DuckDbStore;
  /** Waits until the store holds `n` events (matching the filter) and returns them, newest first. */
  events(n: number, filter?: Parameters<DuckDbStore['queryEvents']>[0]): ReturnType<DuckDbStore['queryEvents']>;
  stop(): Promise<void>;
}

/**
 * A real gateway in this process on free ports: embedded pipeline (spool on disk, in-process bus, DuckDB file in
 * a temp dir). `overrides` is merged into the config per top-level section.
 */
export async function startGateway(overrides: Record<string, Record<string, unknown>> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-gw-'));
  const raw: Record<string, Record<string, unknown>> = {
    server: { listen: { host: '127.0.0.1', port: 0 } },
    admin: { listen: { host: '127.0.0.1', port: 0 } },
    log: { level: 'silent' },
    spool: { dir: join(dir, 'spool') },
    sinks: { duckdb: { path: join(dir, 'events.duckdb') } },
    consumer: { batchWait: '10ms' },
  };
  for (const [section, values] of Object.entries(overrides)) raw[section] = { ...raw[section], ...values };
  const config = parseConfig(raw, 'test', process.env);
  const gateway = await createGateway(config, { logger: createLogger('silent'), version: 'test' });
  const addresses = await gateway.start();
  const store = gateway.stores.duckdb;
  if (!store) throw new Error('test gateway has no DuckDB store');
  return {
    gateway,
    url: addresses.main,
    adminUrl: addresses.admin ?? '',
    dir,
    store,
    async events(n, filter = {}) {
      await waitFor(`${n} events in the store`, async () => (await store.countEvents(filter)) >= n);
      return store.queryEvents({ ...filter, limit: Math.max(n, 100) });
    },
    async stop() {
      await gateway.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
