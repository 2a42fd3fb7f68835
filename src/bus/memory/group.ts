import type { BusMessage } from '../bus.js';

/** A published message waiting for its consumer groups; `publish` awaits `done`. */
export interface Tracker {
  readonly message: BusMessage;
  readonly subject: string;
  /** Groups that still have to ack or dead-letter the message. */
  remaining: number;
  readonly done: Promise<void>;
  settle(): void;
  fail(err: Error): void;
}

/** One message as seen by one consumer group. */
export interface Entry {
  readonly tracker: Tracker;
  deliveries: number;
  state: 'queued' | 'delivered' | 'settled';
  /** When it was last queued (performance.now()): a batch is gathered until its oldest entry has waited batchWait. */
  queuedAt: number;
  /** Pending redelivery (nak delay or ack wait). */
  timer?: NodeJS.Timeout;
}

/**
 * The shared state of one durable name: like a JetStream durable consumer, it outlives its subscribers, and
 * subscribers with the same name take messages from one queue, so each message goes to one of them.
 */
export class Group {
  readonly queue: Entry[] = [];
  readonly entries = new Set<Entry>();
  #wake = new Set<() => void>();

  constructor(
    readonly durable: string,
    readonly filter: string,
  ) {}

  add(tracker: Tracker): void {
    const entry: Entry = { tracker, deliveries: 0, state: 'queued', queuedAt: 0 };
    this.entries.add(entry);
    this.enqueue(entry);
  }

  enqueue(entry: Entry): void {
    entry.state = 'queued';
    entry.queuedAt = performance.now();
    this.queue.push(entry);
    for (const wake of this.#wake) wake();
  }

  /** Takes up to `max` queued messages and marks them delivered. */
  take(max: number): Entry[] {
    const taken = this.queue.splice(0, max);
    for (const entry of taken) {
      entry.state = 'delivered';
      entry.deliveries += 1;
    }
    return taken;
  }

  /** Resolves when at least `count` messages are queued, or when `signal` aborts. */
  waitFor(count: number, signal: AbortSignal): Promise<void> {
    if (this.queue.length >= count || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.queue.length < count && !signal.aborted) return;
        this.#wake.delete(check);
        signal.removeEventListener('abort', check);
        resolve();
      };
      this.#wake.add(check);
      signal.addEventListener('abort', check, { once: true });
    });
  }

  settle(entry: Entry): void {
    if (entry.state === 'settled') return;
    clearTimeout(entry.timer);
    entry.state = 'settled';
    this.entries.delete(entry);
    entry.tracker.settle();
  }

  /** Drops every entry (bus closed); their publishers are failed by the bus. */
  clear(): void {
    for (const entry of this.entries) clearTimeout(entry.timer);
    this.entries.clear();
    this.queue.length = 0;
  }
}
