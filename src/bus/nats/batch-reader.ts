import { deadline, unlessAborted } from '../abortable.js';

/**
 * Reads batches from an async iterator of chunks (a JetStream message opens into the deliveries of its events):
 * waits (until `stop`) for a first item, then gathers more until that item has waited `waitMs` in all. Items
 * already in hand are taken without waiting. `ageMs` says how long an item had already been waiting when it was
 * read (it was buffered while the previous batch was being handled), so a consumer that is behind does not add
 * the whole window again to events that are late already. A `next()` still pending when the wait ends is kept
 * for the following read, and the rest of a chunk for the next batch, so no item is lost.
 */
export class BatchReader<T> {
  #pending: Promise<IteratorResult<readonly T[]>> | undefined;
  #ended = false;
  #queue: readonly T[] = [];
  #head = 0;

  constructor(
    private readonly iterator: AsyncIterator<readonly T[]>,
    private readonly ageMs: (item: T) => number = () => 0,
  ) {}

  /** True once the iterator finished (or threw) and nothing is left in hand. */
  get ended(): boolean {
    return this.#ended && this.#head >= this.#queue.length;
  }

  /** Up to `max` items; empty when `stop` aborted first or the iterator ended. */
  async read(max: number, waitMs: number, stop: AbortSignal): Promise<T[]> {
    const first = this.#take() ?? (await this.#next(stop));
    if (first === undefined) return [];
    const batch = [first];
    this.#takeInto(batch, max);
    if (batch.length >= max) return batch;
    const age = Math.min(waitMs, Math.max(0, this.ageMs(first) || 0));
    const window = deadline(waitMs - age, stop);
    try {
      while (batch.length < max) {
        const item = await this.#next(window.signal);
        if (item === undefined) break;
        batch.push(item);
        this.#takeInto(batch, max);
      }
    } finally {
      window.dispose();
    }
    return batch;
  }

  /** Items in hand and those the iterator still yields after it was asked to stop, so they can be handed back. */
  async rest(limit: AbortSignal): Promise<T[]> {
    const items: T[] = [];
    this.#takeInto(items, Infinity);
    for (;;) {
      const item = await this.#next(limit);
      if (item === undefined) return items;
      items.push(item);
      this.#takeInto(items, Infinity);
    }
  }

  #take(): T | undefined {
    return this.#head < this.#queue.length ? this.#queue[this.#head++] : undefined;
  }

  #takeInto(batch: T[], max: number): void {
    while (batch.length < max && this.#head < this.#queue.length) batch.push(this.#queue[this.#head++] as T);
  }

  /** The next item, waiting for the next chunk when none is in hand; undefined when `signal` aborted or the end. */
  async #next(signal: AbortSignal): Promise<T | undefined> {
    for (;;) {
      const queued = this.#take();
      if (queued !== undefined) return queued;
      if (this.#ended || signal.aborted) return undefined;
      this.#pending ??= this.iterator.next();
      const pending = this.#pending;
      let result: IteratorResult<readonly T[]> | 'aborted';
      try {
        result = await unlessAborted(pending, signal);
      } catch (err) {
        this.#ended = true;
        this.#pending = undefined;
        throw err;
      }
      if (result === 'aborted') return undefined;
      this.#pending = undefined;
      if (result.done) {
        this.#ended = true;
        return undefined;
      }
      this.#queue = result.value;
      this.#head = 0;
    }
  }
}
