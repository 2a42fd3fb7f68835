import { BusUnavailableError, IN_PROCESS, type Bus, type BusMessage, type Subscription } from '../bus/bus.js';
import { down, type Health } from '../lifecycle/health.js';
import { pack } from './messages.js';
import type { PrimaryChannel } from './primary-channel.js';

/** How long a readiness probe waits for the primary's answer. */
const HEALTH_TIMEOUT_MS = 2_000;

/**
 * The bus of a worker in the embedded mode: the primary's in-process bus, reached over IPC. `publish` resolves
 * only when the primary answers that its consumer acked every message (exactly what the memory bus promises),
 * and rejects when the primary refuses or the channel is gone; the worker's spool keeps what is not acked and
 * retries, and the primary's bus drops ids it acked recently, so a replay is not stored twice.
 */
export function createIpcBus(channel: PrimaryChannel): Bus {
  let closed = false;
  return {
    kind: 'memory',
    capabilities: IN_PROCESS,
    start: async () => {},
    async publish(messages: readonly BusMessage[]) {
      if (closed) throw new BusUnavailableError('the bus to the primary is closed');
      if (messages.length === 0) return;
      try {
        await channel.call({ gh: 'publish', batch: pack(messages) });
      } catch (err) {
        throw new BusUnavailableError(`the primary did not store the batch: ${(err as Error).message}`, { cause: err });
      }
    },
    subscribe(): Subscription {
      throw new BusUnavailableError('a worker cannot consume: the primary owns the consumer');
    },
    async healthcheck(): Promise<Health> {
      if (closed) return down('the bus to the primary is closed');
      if (!channel.connected) return down('not connected to the primary');
      // The primary answers with its consumer's health (the store behind this bus).
      return (await channel.call({ gh: 'health' }, HEALTH_TIMEOUT_MS).catch((err: Error) => down(err.message))) as Health;
    },
    async close() {
      closed = true;
    },
  };
}
