import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * The spool's named internal events: each logs and counts (`gatehouse_<name>_total`). Per-append facts log at
 * debug only; what an operator must see (failures, recovery) logs at warn/info.
 */
export function spoolEvents(t: Telemetry) {
  return {
    appended: t.event('spoolAppended', 'Records durably written to the spool.', 'debug'),
    full: t.event('spoolFull', 'Append calls refused because the spool is full (answered 503).', 'debug'),
    // A failing disk fails every group commit: each failure counts, the log gets the run (see FailureLog).
    writeFailed: t.event('spoolWriteFailed', 'Spool file operations that failed (each one; logged at debug).', 'debug', ['op']),
    // Not "spoolWriteFailing": its counter would share a metric family with the gauge gatehouse_spool_write_failing.
    failureStarted: t.event('spoolWriteFailureStarted', 'Runs of failing spool file operations (disk full, I/O error): the first failure, logged in full.', 'error', ['op']),
    failureSummary: t.event('spoolWriteFailureSummary', 'Summaries of spool file operations still failing, one per minute at most.', 'warn'),
    writeRecovered: t.event('spoolWriteRecovered', 'Spool writes that succeed again after failures.', 'info'),
    forwarded: t.event('spoolForwarded', 'Records published from the spool to the bus.', 'debug'),
    forwardFailed: t.event('spoolForwardFailed', 'Failed publishes from the spool (each is retried after a backoff).', 'warn'),
    checkpointFailed: t.event('spoolCheckpointFailed', 'Checkpoint or segment-deletion writes that failed.', 'warn', ['op']),
    preallocateFailed: t.event('spoolPreallocateFailed', 'Failures to prepare the next segment ahead (spool.preallocate); it is then a plain file, no event is affected.', 'warn'),
    tornTail: t.event('spoolTornTail', 'Segments whose incomplete tail was truncated at recovery.', 'warn'),
    salvaged: t.event('spoolSalvaged', 'Segments with intact records past a corrupt one at recovery; those records are kept.', 'warn'),
    recovered: t.event('spoolRecovered', 'Spool starts, with what was found on disk.', 'info'),
    closed: t.event('spoolClosed', 'Spool shutdowns, with what was left to forward.', 'info'),
  };
}

export type SpoolEvents = ReturnType<typeof spoolEvents>;
