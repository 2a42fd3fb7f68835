import type { Logger } from 'pino';
import type { DuckDbStore } from '../sinks/duckdb/index.js';
import type { Telemetry } from '../telemetry/telemetry.js';

export interface RetentionJob {
  /** Prunes once now, then every `intervalMs`. */
  start(): Promise<void>;
  /** One prune; resolves with the rows removed (0 on failure, which is logged and counted). */
  runOnce(): Promise<number>;
  stop(): void;
}

/**
 * Retention of the embedded store (`sinks.duckdb.retention`): deletes events older than the retention, at start
 * and then hourly. A failed prune is logged and tried again at the next tick; it never stops the gateway.
 */
export function createRetentionJob(deps: {
  store: DuckDbStore;
  retentionMs: number;
  telemetry: Telemetry;
  logger: Logger;
  intervalMs?: number;
}): RetentionJob {
  const pruned = deps.telemetry.event('eventsPruned', 'Events deleted by the retention job (sinks.duckdb.retention).', 'info', ['sink']);
  const failed = deps.telemetry.event('pruneFailed', 'Retention prunes that failed (tried again at the next tick).', 'error', ['sink']);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  const runOnce = () => {
    running ??= (async () => {
      try {
        const n = await deps.store.pruneOlderThan(deps.retentionMs);
        pruned({ sink: 'duckdb' }, { rows: n, retentionMs: deps.retentionMs }, n);
        return n;
      } catch (err) {
        failed({ sink: 'duckdb' }, { err: (err as Error).message });
        return 0;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  return {
    async start() {
      await runOnce();
      timer = setInterval(() => void runOnce(), deps.intervalMs ?? 3_600_000).unref();
    },
    runOnce,
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
