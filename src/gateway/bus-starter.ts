import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';

export interface BusStarter {
  /** Stops retrying (shutdown). */
  stop(): void;
}

/**
 * Starts the bus without making the gateway wait for it. The spool exists to ride out a NATS outage, so a
 * gateway restarted during one must still serve: it accepts into its spool, reports not ready (the bus check is
 * down), and connects in the background with backoff; the forwarder then catches up.
 */
export async function startBusInBackground(bus: Bus, logger: Logger, { minMs = 500, maxMs = 15_000 } = {}): Promise<BusStarter> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = async (delay: number): Promise<void> => {
    try {
      await bus.start();
      if (delay > minMs) logger.info({ event: 'busConnected' }, 'the bus is available');
    } catch (err) {
      if (stopped) return;
      logger.warn({ event: 'busUnavailable', err: (err as Error).message, retryInMs: delay }, 'the bus is unavailable; events are spooled meanwhile');
      timer = setTimeout(() => void attempt(Math.min(maxMs, delay * 2)), delay);
      timer.unref();
    }
  };
  await attempt(minMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
