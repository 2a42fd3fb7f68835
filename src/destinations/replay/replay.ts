import { setTimeout as sleep } from 'node:timers/promises';
import type { TrackEvent } from '../../track/event.js';
import { deliver, retryDelay } from '../deliver.js';
import type { Destination } from '../destination.js';
import { compileRoute } from '../routing.js';

export interface ReplayProgress {
  /** Events read from history so far, and how many there are in all when the source knows. */
  read: number;
  total?: number;
  sent: number;
  /** Not sent: the destination's rules do not select them. */
  skipped: number;
  /** Refused for good or given up on; written to the dead letters. */
  failed: number;
}

export interface ReplayOptions {
  readonly destination: Destination;
  readonly pages: AsyncIterable<TrackEvent[]>;
  readonly total?: number;
  deadLetter(event: TrackEvent, reason: string): Promise<void>;
  onProgress?(progress: Readonly<ReplayProgress>): void;
  readonly signal?: AbortSignal;
}

/**
 * Re-sends history to one destination: its rules, batching, retries (Retry-After honoured) and dead letters, as
 * live delivery does. Vendors dedupe on the ids sent (uuid, $insert_id, insert_id, eid), so a replay over events
 * already delivered does not double them there.
 */
export async function replayEvents(options: ReplayOptions): Promise<ReplayProgress> {
  const { destination, signal } = options;
  const route = compileRoute(destination.settings.match);
  const progress: ReplayProgress = { read: 0, sent: 0, skipped: 0, failed: 0, ...(options.total !== undefined ? { total: options.total } : {}) };
  for await (const page of options.pages) {
    progress.read += page.length;
    const routed = page.filter(route);
    progress.skipped += page.length - routed.length;
    let pending = routed;
    for (let attempt = 1; pending.length > 0; attempt++) {
      signal?.throwIfAborted();
      const outcomes = await deliver(destination, pending, signal);
      const again: TrackEvent[] = [];
      let retryAfter: number | undefined;
      let reason = '';
      for (const [i, event] of pending.entries()) {
        const outcome = outcomes[i] ?? { kind: 'retry' as const, reason: 'not attempted' };
        if (outcome.kind === 'sent') progress.sent++;
        else if (outcome.kind === 'dead') {
          progress.failed++;
          await options.deadLetter(event, `destination ${destination.name}: ${outcome.reason}`);
        } else {
          again.push(event);
          retryAfter ??= outcome.retryAfterMs;
          reason = outcome.reason;
        }
      }
      if (again.length > 0 && attempt >= destination.settings.maxAttempts) {
        for (const event of again) await options.deadLetter(event, `destination ${destination.name}: gave up after ${attempt} attempts: ${reason}`);
        progress.failed += again.length;
        break;
      }
      if (again.length > 0) await sleep(retryDelay(destination.settings, attempt, retryAfter), undefined, signal ? { signal } : {});
      pending = again;
    }
    options.onProgress?.(progress);
  }
  return progress;
}

export class ReplayError extends Error {
  constructor(
    readonly code: 'STORE_BUSY' | 'UNKNOWN_DESTINATION' | 'INVALID_TIME' | 'SOURCE_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ReplayError';
  }
}
