import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../settings/schema.js';

/** The environment variables a forked worker learns its slot and the number of slots from (the only ones read here). */
export const WORKER_INDEX_ENV = 'GATEHOUSE_WORKER_INDEX';
export const WORKER_COUNT_ENV = 'GATEHOUSE_WORKER_COUNT';

/**
 * The number of processes `server.workers` asks for: "auto" (and 0, its older spelling) is one per CPU core, but
 * one when ACME is on: each process would hold its own HTTP-01 challenges and order on its own, so the CA's
 * validation request could reach a worker that never heard of the token. (An explicit count above 1 with ACME is
 * refused by the config checks.)
 */
export function workerCount(config: Pick<Config, 'server' | 'tls'>, cores: number = availableParallelism()): number {
  const setting = config.server.workers;
  if (setting !== 'auto' && setting !== 0) return setting;
  return config.tls.enabled && config.tls.acme.enabled ? 1 : cores;
}

/** This worker's slot (0-based), set by the primary when it forks; a restarted worker keeps its slot. */
export function workerIndex(env: NodeJS.ProcessEnv = process.env): number {
  const index = Number(env[WORKER_INDEX_ENV]);
  if (!Number.isInteger(index) || index < 0) throw new Error(`${WORKER_INDEX_ENV} is not set: a worker must be forked by the primary`);
  return index;
}

/**
 * How many workers the primary runs, as it decided: a worker does not count the cores again (a container's CPU
 * quota can change in between, and each worker's rate-limit share depends on this number).
 */
export function workerTotal(env: NodeJS.ProcessEnv = process.env): number {
  const count = Number(env[WORKER_COUNT_ENV]);
  if (!Number.isInteger(count) || count < 1) throw new Error(`${WORKER_COUNT_ENV} is not set: a worker must be forked by the primary`);
  return count;
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
