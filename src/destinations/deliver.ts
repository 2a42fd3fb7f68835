import type { TrackEvent } from '../track/event.js';
import type { Destination } from './destination.js';
import { sendBatch } from './http.js';
import { backoffDelay } from '../lifecycle/backoff.js';

/** What became of one event of a delivery. */
export type ItemOutcome =
  | { readonly kind: 'sent' }
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'dead'; readonly reason: string };

/** Room left in a request body for the vendor's envelope and field renames. */
const BODY_HEADROOM = 0.8;

/**
 * Sends events to a destination in requests within its limits (events and bytes) and says what became of each.
 * Once a request must be retried, the later ones are not tried now: they would meet the same outage.
 */
export async function deliver(destination: Destination, events: readonly TrackEvent[], signal?: AbortSignal): Promise<ItemOutcome[]> {
  const outcomes: ItemOutcome[] = [];
  let halted: ItemOutcome | undefined;
  for (const chunk of chunks(destination, events)) {
    if (halted) {
      for (const i of chunk) outcomes[i] = halted;
      continue;
    }
    await sendChunk(destination, events, chunk, outcomes, signal);
    const last = outcomes[chunk[chunk.length - 1] as number];
    if (last?.kind === 'retry') halted = last;
  }
  return outcomes;
}

async function sendChunk(
  destination: Destination,
  events: readonly TrackEvent[],
  indices: readonly number[],
  outcomes: ItemOutcome[],
  signal: AbortSignal | undefined,
  resent = false,
): Promise<void> {
  const result = await sendBatch(destination, indices.map((i) => events[i] as TrackEvent), signal);
  const all = (o: ItemOutcome) => indices.forEach((i) => (outcomes[i] = o));
  switch (result.kind) {
    case 'sent':
      return all({ kind: 'sent' });
    case 'retry':
      return all(result.retryAfterMs === undefined ? { kind: 'retry', reason: result.reason } : { kind: 'retry', reason: result.reason, retryAfterMs: result.retryAfterMs });
    case 'split': {
      if (indices.length === 1) return all({ kind: 'dead', reason: result.reason });
      const half = Math.ceil(indices.length / 2);
      await sendChunk(destination, events, indices.slice(0, half), outcomes, signal);
      if (outcomes[indices[half - 1] as number]?.kind === 'retry') return all(outcomes[indices[0] as number] as ItemOutcome);
      return sendChunk(destination, events, indices.slice(half), outcomes, signal);
    }
    case 'rejected': {
      if (!result.failed) return all({ kind: 'dead', reason: result.reason });
      const failed = new Set(result.failed.map((f) => indices[f]).filter((i): i is number => i !== undefined));
      const others = indices.filter((i) => !failed.has(i));
      for (const i of failed) outcomes[i] = { kind: 'dead', reason: result.reason };
      if (others.length === 0) return;
      if (result.othersTaken) return others.forEach((i) => (outcomes[i] = { kind: 'sent' }));
      // The vendor refused the whole request for the bad items: send the good ones again, once.
      if (!resent) return sendChunk(destination, events, others, outcomes, signal, true);
      return others.forEach((i) => (outcomes[i] = { kind: 'retry', reason: result.reason }));
    }
  }
}

/** Index groups within the destination's batch size and body limit (an oversized event goes alone). */
function chunks(destination: Destination, events: readonly TrackEvent[]): number[][] {
  const maxBytes = destination.maxBodyBytes * BODY_HEADROOM;
  const out: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  events.forEach((event, i) => {
    const size = Buffer.byteLength(JSON.stringify(event));
    if (current.length > 0 && (current.length >= destination.settings.batchSize || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
  });
  if (current.length > 0) out.push(current);
  return out;
}

/** Wait before the next delivery of a failed event: Retry-After when the vendor gave one, else backoff with jitter. */
export function retryDelay(settings: { retryMin: number; retryMax: number }, deliveries: number, retryAfterMs?: number, random = Math.random): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  return backoffDelay({ minMs: settings.retryMin, maxMs: settings.retryMax, jitter: 0.2 }, deliveries - 1, random);
}
