import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../settings/schema.js';

/** The environment variable a forked worker learns its slot from (the only one this module reads). */
export const WORKER_INDEX_ENV = 'GATEHOUSE_WORKER_INDEX';

/** `server.workers`: 0 means one process per CPU core. */
export function workerCount(setting: number): number {
  return setting === 0 ? availableParallelism() : setting;
}

/** This worker's slot (0-based), set by the primary when it forks; a restarted worker keeps its slot. */
export function workerIndex(env: NodeJS.ProcessEnv = process.env): number {
  const index = Number(env[WORKER_INDEX_ENV]);
  if (!Number.isInteger(index) || index < 0) throw new Error(`${WORKER_INDEX_ENV} is not set: a worker must be forked by the primary`);
  return index;
}

/** The spool directory of a slot: its own log, so a restarted worker replays exactly what it accepted. */
export function workerSpoolDir(config: Pick<Config, 'spool'>, index: number): string {
  return join(config.spool.dir, `worker-${index}`);
}

/**
 * A worker's view of the config: its own spool, and no admin listener (the primary serves it, with the
 * metrics of every worker). Everything else is shared.
 */
export function workerConfig(config: Readonly<Config>, index: number): Readonly<Config> {
  return Object.freeze({
    ...config,
    spool: { ...config.spool, dir: workerSpoolDir(config, index) },
    admin: { ...config.admin, enabled: false },
  });
}
