import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import { Backoff } from '../lifecycle/backoff.js';

export interface BusStarter {
  /** Settles when the bus has started; rejects only when `stop()` came first. */
  readonly started: Promise<void>;
  /** Stops retrying (shutdown). */
  stop(): void;
}

/**
 * Starts the bus, retrying with backoff until it starts or `stop()` is called; resolves after the first attempt.
 * The spool exists to ride out a NATS outage, so a gateway restarted during one must still serve: it accepts into
 * its spool, reports not ready (the bus check is down), and connects in the background; the forwarder then catches
 * up. `consume` awaits `started`: a consumer started before NATS (or while its cluster elects a leader) waits for
 * it instead of exiting. Each failed attempt is logged with its reason and the wait before the next.
 */
export async function startBusInBackground(bus: Bus, logger: Logger, { minMs = 500, maxMs = 15_000 } = {}): Promise<BusStarter> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let settle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const started = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  started.catch(() => undefined); // a caller that does not wait for it must not see an unhandled rejection
  const backoff = new Backoff(minMs, maxMs, Math.random, 0);
  const attempt = async (): Promise<void> => {
    try {
      await bus.start();
      if (backoff.attempts > 0) logger.info({ event: 'busConnected', attempts: backoff.attempts + 1 }, 'the bus is available');
      settle?.resolve();
    } catch (err) {
      if (stopped) return;
      const delay = backoff.next();
      logger.warn({ event: 'busUnavailable', err: (err as Error).message, retryInMs: delay }, 'the bus is unavailable; retrying');
      timer = setTimeout(() => void attempt(), delay); // kept ref'd: `consume` has nothing else alive while it waits
    }
  };
  await attempt();
  return {
    started,
    stop() {
      stopped = true;
      clearTimeout(timer);
      settle?.reject(new Error('stopped before the bus started'));
    },
  };
}
