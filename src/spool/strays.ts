import { readdir, rm, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { CHECKPOINT_FILE } from './checkpoint.js';
import type { SpoolConfig } from './config.js';
import { createSpool } from './create-spool.js';
import { listSegments, segmentPath } from './segment-files.js';

const WORKER_DIR = /^worker-(\d+)$/;

/**
 * Spool directories under `root` that no process of this configuration writes, but that hold segments: left by a
 * run with another `server.workers`. One process (`slots` 1) writes `root` itself; N workers write `worker-0` to
 * `worker-<N-1>`. So a single process finds every `worker-<i>`, and N workers find `worker-<i>` for i ≥ N and
 * `root` itself. Their events were answered 2xx and may not all be forwarded yet.
 */
export async function straySpoolDirs(root: string, slots: number): Promise<string[]> {
  let names;
  try {
    names = await readdir(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // a first start: nothing was ever spooled here
    throw err;
  }
  const slotOf = (name: string) => Number(WORKER_DIR.exec(name)?.[1] ?? -1);
  const candidates = names
    .filter((d) => d.isDirectory() && WORKER_DIR.test(d.name) && (slots === 1 || slotOf(d.name) >= slots))
    .sort((a, b) => slotOf(a.name) - slotOf(b.name))
    .map((d) => join(root, d.name));
  if (slots > 1) candidates.unshift(root);
  const strays: string[] = [];
  for (const dir of candidates) if ((await listSegments(dir)).length > 0) strays.push(dir);
  return strays;
}

export interface StrayDrain {
  /** Resolves once every stray spool is forwarded and removed (or the drain was stopped). */
  readonly done: Promise<void>;
  /** Stops draining: what is not forwarded within `budgetMs` stays on disk for the next start. */
  stop(budgetMs: number): Promise<void>;
}

/**
 * Forwards what stray spools hold, one after the other, through `bus`, in the background: each is opened as a
 * spool of its own (recovery, then the forwarder from its checkpoint), closed once nothing is pending, and its
 * files removed. A spool that cannot be opened is logged and left as it is.
 */
export function drainStraySpools(dirs: readonly string[], options: { config: SpoolConfig; bus: Bus; logger: Logger }): StrayDrain {
  const { config, bus, logger } = options;
  let stopped = false;
  let current: { close(budgetMs: number): Promise<void> } | undefined;
  const drainOne = async (dir: string) => {
    // Its own registry: the serving spool's gauges keep their meaning, and the names do not clash.
    const telemetry = new Telemetry(logger.child({ straySpool: dir }), { defaultMetrics: false });
    // It only forwards (nothing is appended to it): no segment is prepared ahead.
    const spool = createSpool({ config: { ...config, dir, preallocate: false }, bus, telemetry });
    current = spool;
    await spool.start();
    logger.warn({ event: 'straySpoolFound', dir, pendingRecords: spool.stats().pendingRecords }, 'forwarding a spool left by another server.workers setting');
    while (!stopped && spool.stats().pendingRecords > 0) await sleep(100);
    await spool.close(stopped ? 0 : undefined);
    current = undefined;
    const left = spool.stats().pendingRecords;
    if (left > 0) return;
    await removeSpoolFiles(dir, WORKER_DIR.test(basename(dir)));
    logger.info({ event: 'straySpoolDrained', dir }, 'stray spool forwarded and removed');
  };
  const done = (async () => {
    for (const dir of dirs) {
      if (stopped) return;
      await drainOne(dir).catch((err: unknown) => logger.error({ event: 'straySpoolFailed', dir, err }, 'could not forward a stray spool'));
    }
  })();
  return {
    done,
    async stop(budgetMs) {
      stopped = true;
      await current?.close(budgetMs);
      await done;
    },
  };
}

/** A worker's own directory goes whole; from the root (other things live there) only the spool's files. */
async function removeSpoolFiles(dir: string, whole: boolean): Promise<void> {
  if (whole) {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  for (const seq of await listSegments(dir)) await unlink(segmentPath(dir, seq));
  await unlink(join(dir, CHECKPOINT_FILE)).catch(() => undefined);
}
