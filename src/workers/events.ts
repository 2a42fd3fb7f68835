import type { Telemetry } from '../telemetry/telemetry.js';

/** The named internal events of the worker supervisor (they log and count in one place). */
export function workerEvents(telemetry: Telemetry) {
  return {
    started: telemetry.event('workerStarted', 'Worker processes forked (first start and restarts).', 'info'),
    exited: telemetry.event('workerExited', 'Worker processes that exited while the primary was running (each is restarted).', 'warn'),
  };
}

export type WorkerEvents = ReturnType<typeof workerEvents>;
