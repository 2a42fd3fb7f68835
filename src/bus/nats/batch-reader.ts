import { deadline, unlessAborted } from '../abortable.js';

/**
 * Reads batches from an async iterator: waits (until `stop`) for a first item, then gathers more until that
 * item has waited `waitMs` in all. `ageMs` says how long an item had already been waiting when it was read
 * (it was buffered while the previous batch was being handled), so a consumer that is behind does not add
 * the whole window again to events that are late already. A `next()` still pending when the wait ends is
 * kept for the following read, so no item is lost.
 */
export class BatchReader<T> {
  #pending: Promise<IteratorResult<T>> | undefined;
  #ended = false;

  constructor(
    private readonly iterator: AsyncIterator<T>,
    private readonly ageMs: (item: T) => number = () => 0,
  ) {}

  /** True once the iterator finished (or threw). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Up to `max` items; empty when `stop` aborted first or the iterator ended. */
  async read(max: number, waitMs: number, stop: AbortSignal): Promise<T[]> {
    const first = await this.#next(stop);
    if (first === undefined) return [];
    const batch = [first];
    const age = Math.min(waitMs, Math.max(0, this.ageMs(first) || 0));
    const window = deadline(waitMs - age, stop);
    try {
      while (batch.length < max) {
        const item = await this.#next(window.signal);
        if (item === undefined) break;
        batch.push(item);
      }
    } finally {
      window.dispose();
    }
    return batch;
  }

  /** Items the iterator still yields after it was asked to stop, so they can be handed back. */
  async rest(limit: AbortSignal): Promise<T[]> {
    const items: T[] = [];
    for (;;) {
      const item = await this.#next(limit);
      if (item === undefined) return items;
      items.push(item);
    }
  }

  async #next(signal: AbortSignal): Promise<T | undefined> {
    if (this.#ended || signal.aborted) return undefined;
    this.#pending ??= this.iterator.next();
    const pending = this.#pending;
    let result: IteratorResult<T> | 'aborted';
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
    return result.value;
  }
}
