import type { BusConfig } from '../bus/config.js';
import type { Bus } from '../bus/bus.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { createMemoryBus } from '../bus/memory.js';
import { createNatsBus } from '../bus/nats/index.js';

export function buildBus(config: BusConfig, telemetry: Telemetry): Bus {
  return config.kind === 'nats' ? createNatsBus({ config: config.nats, telemetry }) : createMemoryBus({ telemetry });
}
