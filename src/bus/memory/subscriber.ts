import type { BatchHandler, Delivery, SubscribeOptions, Subscription } from '../bus.js';
import { deadline } from '../abortable.js';
import type { Entry, Group } from './group.js';

export interface MemorySubscriberDeps {
  readonly group: Group;
  readonly options: SubscribeOptions;
  readonly handler: BatchHandler;
  /** Like JetStream's ack_wait: a delivery left unsettled by its handler comes back after this long. */
  readonly ackWaitMs: number;
  toDelivery(entry: Entry): Delivery;
  onHandlerError(err: unknown): void;
}

/**
 * One subscriber's loop: wait for work, fill a batch until its oldest entry has waited batchWaitMs (entries
 * that queued up while the previous batch was handled have waited already), hand it over, repeat.
 */
export function startMemorySubscriber(deps: MemorySubscriberDeps): Subscription {
  const stop = new AbortController();
  const loop = run(deps, stop.signal);
  return {
    close: async () => {
      stop.abort();
      await loop;
    },
  };
}

async function run(deps: MemorySubscriberDeps, stop: AbortSignal): Promise<void> {
  const { group, options } = deps;
  while (!stop.aborted) {
    await group.waitFor(1, stop);
    if (stop.aborted) return;
    const oldest = group.queue[0];
    const waited = oldest ? performance.now() - oldest.queuedAt : 0;
    if (group.queue.length < options.batchSize && waited < options.batchWaitMs) {
      const wait = deadline(options.batchWaitMs - waited, stop);
      await group.waitFor(options.batchSize, wait.signal);
      wait.dispose();
      if (stop.aborted) return;
    }
    // Another subscriber of the same durable may have taken the queue meanwhile.
    const entries = group.take(options.batchSize);
    if (entries.length > 0) await handle(deps, entries);
  }
}

async function handle(deps: MemorySubscriberDeps, entries: Entry[]): Promise<void> {
  try {
    await deps.handler(entries.map((entry) => deps.toDelivery(entry)));
  } catch (err) {
    deps.onHandlerError(err);
  }
  for (const entry of entries) {
    if (entry.state !== 'delivered' || entry.timer) continue;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (entry.state === 'delivered' && deps.group.entries.has(entry)) deps.group.enqueue(entry);
    }, deps.ackWaitMs);
  }
}
