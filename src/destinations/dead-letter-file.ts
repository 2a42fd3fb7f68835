import { syncedLines, type SyncedLines } from '../bus/synced-lines.js';

/** One line of a destination's dead-letter file. */
export interface DeadLetterEntry {
  readonly at: string;
  readonly destination: string;
  readonly id: string;
  readonly reason: string;
  /** The event as stored (Gatehouse JSON), so it can be inspected and re-sent. */
  readonly event: unknown;
}

export type DeadLetterFile = SyncedLines<DeadLetterEntry>;

/**
 * Embedded mode's dead letters of a destination: JSON lines appended and synced before the event is acked, so a
 * refused event is never only in memory. (With NATS they go to the dead-letter subject instead.)
 */
export function deadLetterFile(path: string): DeadLetterFile {
  return syncedLines<DeadLetterEntry>(path);
}
