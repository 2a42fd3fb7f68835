import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import { Backoff } from '../lifecycle/backoff.js';

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
  const backoff = new Backoff(minMs, maxMs, Math.random, 0);
  const attempt = async (): Promise<void> => {
    try {
      await bus.start();
      if (backoff.attempts > 0) logger.info({ event: 'busConnected' }, 'the bus is available');
    } catch (err) {
      if (stopped) return;
      const delay = backoff.next();
      logger.warn({ event: 'busUnavailable', err: (err as Error).message, retryInMs: delay }, 'the bus is unavailable; events are spooled meanwhile');
      timer = setTimeout(() => void attempt(), delay);
      timer.unref();
    }
  };
  await attempt();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
