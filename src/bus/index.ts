import type { Telemetry } from '../telemetry/telemetry.js';
import type { Bus } from './bus.js';
import type { BusConfig } from './config.js';
import { createMemoryBus } from './memory.js';
import { createNatsBus } from './nats/index.js';

export * from './bus.js';
export { BusConfig, NatsConfig } from './config.js';
export { createMemoryBus, type MemoryBus, type MemoryBusOptions, type DeadLetter } from './memory.js';
export { createNatsBus, NatsConfigError, NatsConnectError, StreamConfigError, type NatsBusOptions } from './nats/index.js';

/** The bus the config asks for. The memory bus uses the same subject and dedupe window as the stream would. */
export function createBus({ config, telemetry }: { config: BusConfig; telemetry: Telemetry }): Bus {
  if (config.kind === 'nats') return createNatsBus({ config: config.nats, telemetry });
  return createMemoryBus({ telemetry, subject: config.nats.subject, dedupeWindowMs: config.nats.duplicateWindow });
}
