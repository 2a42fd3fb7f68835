import type { Config } from '../config/schema.js';
import { createLogger } from '../telemetry/logger.js';
import { createGateway } from '../gateway/gateway.js';
import { onShutdownSignals } from './signals.js';

/** `gatehouse serve`: runs until SIGTERM/SIGINT, then shuts down gracefully and exits 0. */
export async function serve(config: Readonly<Config>, version: string): Promise<number> {
  const logger = createLogger(config.log.level);
  const gateway = await createGateway(config, { logger, version });
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
