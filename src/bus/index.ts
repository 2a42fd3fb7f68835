import { join } from 'node:path';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Bus } from './bus.js';
import type { BusConfig } from './config.js';
import { createMemoryBus } from './memory.js';
import { createNatsBus } from './nats/index.js';

export * from './bus.js';
export { BusConfig, NatsConfig } from './config.js';
export { createMemoryBus, type MemoryBus, type MemoryBusOptions, type DeadLetter, type DeadLetterLine } from './memory.js';
export { createNatsBus, NatsConfigError, NatsConnectError, StreamConfigError, type NatsBusOptions } from './nats/index.js';

/** The embedded mode's dead-letter file: beside the spool, so what it holds lives on the same disk. */
export function embeddedDeadLetterPath(spoolDir: string): string {
  return join(spoolDir, 'dead-letter.jsonl');
}

/**
 * The bus the config asks for. The memory bus uses the same subject and dedupe window as the stream would, and
 * keeps its dead letters in `deadLetterPath` (the embedded mode's dead-letter subject) when one is given.
 */
export function createBus({ config, telemetry, deadLetterPath }: { config: BusConfig; telemetry: Telemetry; deadLetterPath?: string }): Bus {
  if (config.kind === 'nats') return createNatsBus({ config: config.nats, telemetry });
  return createMemoryBus({
    telemetry,
    subject: config.nats.subject,
    dedupeWindowMs: config.nats.duplicateWindow,
    ...(deadLetterPath ? { deadLetterPath } : {}),
  });
}
