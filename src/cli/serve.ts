import cluster from 'node:cluster';
import type { Config } from '../settings/schema.js';
import { createLogger } from '../telemetry/logger.js';
import { createGateway } from '../gateway/gateway.js';
import { onShutdownSignals } from '../lifecycle/signals.js';
import { servePrimary, serveWorker, workerCount } from '../workers/index.js';
import { tuneV8ForServing } from '../server/v8-tuning.js';
import { straySpoolDirs } from '../spool/strays.js';

/** `gatehouse serve`: runs until SIGTERM/SIGINT, then shuts down gracefully and exits 0. */
export async function serve(config: Readonly<Config>, version: string): Promise<number> {
  tuneV8ForServing();
  // `server.workers` > 1: a primary forks the workers (src/workers); each worker runs this same command.
  if (cluster.isWorker) return serveWorker(config, version);
  const workers = workerCount(config);
  if (workers > 1) return servePrimary(config, version, workers);
  const logger = createLogger(config.log.level);
  // A single process writes spool.dir itself: worker-<i> directories there are left by a run with workers.
  const gateway = await createGateway(config, { logger, version, strays: await straySpoolDirs(config.spool.dir, 1) });
  onShutdownSignals(logger, () => gateway.shutdown());
  try {
    await gateway.start();
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    await gateway.shutdown().catch(() => undefined);
    return 1;
  }
  return new Promise<number>(() => undefined); // runs until a signal ends the process
}
