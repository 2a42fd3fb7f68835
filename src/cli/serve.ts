import cluster from 'node:cluster';
import type { Config } from '../settings/schema.js';
import { createLogger } from '../telemetry/logger.js';
import { createGateway } from '../gateway/gateway.js';
import { onShutdownSignals } from '../lifecycle/signals.js';
import { onReloadSignal } from '../lifecycle/reload-signal.js';
import { servePrimary, serveWorker, workerCount } from '../workers/index.js';
import { tuneV8ForServing } from '../server/v8-tuning.js';
import { straySpoolDirs } from '../spool/strays.js';

/** Where the config came from: SIGHUP and `gatehouse reload` read the file again. */
export interface ConfigOrigin {
  readonly file: string;
  readonly hash: string;
}

/** `gatehouse serve`: runs until SIGTERM/SIGINT, then shuts down gracefully and exits 0; SIGHUP reloads the config. */
export async function serve(config: Readonly<Config>, version: string, origin?: ConfigOrigin): Promise<number> {
  tuneV8ForServing();
  // `server.workers` > 1: a primary forks the workers (src/workers); each worker runs this same command.
  if (cluster.isWorker) return serveWorker(config, version, origin?.hash);
  const workers = workerCount(config);
  if (workers > 1) return servePrimary(config, version, workers, origin);
  const logger = createLogger(config.log.level);
  // A single process writes spool.dir itself: worker-<i> directories there are left by a run with workers.
  const gateway = await createGateway(config, {
    logger,
    version,
    strays: await straySpoolDirs(config.spool.dir, 1),
    ...(origin ? { configFile: origin.file, configHash: origin.hash } : {}),
  });
  onShutdownSignals(logger, () => gateway.shutdown());
  onReloadSignal(logger, () => gateway.reload());
  try {
    await gateway.start();
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    await gateway.shutdown().catch(() => undefined);
    return 1;
  }
  return new Promise<number>(() => undefined); // runs until a signal ends the process
}
