import { LRUCache } from 'lru-cache';
import type { Telemetry } from '../telemetry/telemetry.js';
import { down, up, type Health } from '../lifecycle/health.js';
import {
  BusUnavailableError,
  IN_PROCESS,
  type BatchHandler,
  type Bus,
  type BusMessage,
  type SubscribeOptions,
  type Subscription,
} from './bus.js';
import { busEvents } from './events.js';
import { toMemoryDelivery, type DeadLetterRecord } from './memory/delivery.js';
import { syncedLines } from './synced-lines.js';
import { Group, type Tracker } from './memory/group.js';
import { startMemorySubscriber } from './memory/subscriber.js';
import { subjectMatches } from './memory/subject-match.js';

/** A message a consumer gave up on, kept for inspection (the memory bus has no dead-letter stream). */
export interface DeadLetter extends DeadLetterRecord {
  readonly at: Date;
}

export interface MemoryBusOptions {
  readonly telemetry: Telemetry;
  /** Subject every published message carries (the NATS bus's default event subject). */
  readonly subject?: string;
  /** How long an acked id is remembered to drop republished duplicates (JetStream's duplicate window). */
  readonly dedupeWindowMs?: number;
  /** Bound on remembered ids, so dedupe memory stays flat under load. */
  readonly dedupeMaxIds?: number;
  /** A delivery its handler left unsettled is redelivered after this long. */
  readonly ackWaitMs?: number;
  /** Dead letters kept for `deadLetters()`; older ones are dropped (all are counted). */
  readonly maxDeadLetters?: number;
  /**
   * A file that keeps every dead letter (JSON lines, each synced before the message settles): the embedded
   * mode's dead-letter subject. Without it dead letters are only in memory, which suits buses whose users keep
   * their own (the destinations' spools).
   */
  readonly deadLetterPath?: string;
}

/** One line of the dead-letter file: the message as it was published (an event's JSON, or what a poison message held). */
export interface DeadLetterLine {
  readonly at: string;
  readonly id: string;
  readonly subject: string;
  readonly reason: string;
  readonly deliveries: number;
  readonly data: string;
}

export interface MemoryBus extends Bus {
  readonly kind: 'memory';
  /** The dead-lettered messages, oldest first. */
  deadLetters(): readonly DeadLetter[];
}

/**
 * The in-process bus of the embedded mode. `publish` resolves once a subscriber acked (or dead-lettered) every
 * message, which is how the spool knows an event is stored; messages published before anyone subscribes wait.
 */
export function createMemoryBus({
  telemetry,
  subject = 'gatehouse.events',
  dedupeWindowMs = 120_000,
  dedupeMaxIds = 100_000,
  ackWaitMs = 30_000,
  maxDeadLetters = 1_000,
  deadLetterPath,
}: MemoryBusOptions): MemoryBus {
  const events = busEvents(telemetry);
  const inFlight = new Map<string, Tracker>();
  const recent = new LRUCache<string, true>({ max: dedupeMaxIds, ttl: dedupeWindowMs });
  const groups = new Map<string, Group>();
  /** Published while no group's filter matched: handed to the first group that matches. */
  let backlog: Tracker[] = [];
  const subscriptions = new Set<Subscription>();
  const dead: DeadLetter[] = [];
  const deadLetterFile = deadLetterPath ? syncedLines<DeadLetterLine>(deadLetterPath) : undefined;
  let closed = false;
  let closing: Promise<void> | undefined;

  function track(message: BusMessage): Tracker {
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const tracker: Tracker = {
      message,
      subject,
      remaining: 0,
      done,
      settle() {
        tracker.remaining -= 1;
        if (tracker.remaining > 0) return;
        inFlight.delete(message.id);
        recent.set(message.id, true);
        resolve();
      },
      fail(err) {
        inFlight.delete(message.id);
        reject(err);
      },
    };
    inFlight.set(message.id, tracker);
    const matching = [...groups.values()].filter((g) => subjectMatches(g.filter, subject));
    if (matching.length === 0) backlog.push(tracker);
    for (const group of matching) {
      tracker.remaining += 1;
      group.add(tracker);
    }
    return tracker;
  }

  function groupFor(options: SubscribeOptions): Group {
    let group = groups.get(options.durable);
    if (group) return group;
    group = new Group(options.durable, options.subject ?? subject);
    groups.set(options.durable, group);
    const stillWaiting: Tracker[] = [];
    for (const tracker of backlog) {
      if (!subjectMatches(group.filter, tracker.subject)) {
        stillWaiting.push(tracker);
        continue;
      }
      tracker.remaining += 1;
      group.add(tracker);
    }
    backlog = stillWaiting;
    return group;
  }

  async function recordDeadLetter(record: DeadLetterRecord): Promise<void> {
    const at = new Date();
    await deadLetterFile?.append({
      at: at.toISOString(),
      id: record.id,
      subject: record.subject,
      reason: record.reason,
      deliveries: record.deliveries,
      data: Buffer.from(record.data).toString('utf8'),
    });
    dead.push({ ...record, at });
    if (dead.length > maxDeadLetters) dead.shift();
    events.messageDeadLettered({ bus: 'memory' }, { id: record.id, reason: record.reason, deliveries: record.deliveries });
  }

  async function publish(messages: readonly BusMessage[]): Promise<void> {
    if (closed) throw new BusUnavailableError('the memory bus is closed');
    const end = events.publishSeconds.startTimer({ bus: 'memory' });
    // A duplicate id waits for the message already in flight, or resolves at once if it was acked recently.
    const waits = messages.map((m) => (recent.has(m.id) ? undefined : (inFlight.get(m.id) ?? track(m)).done));
    const results = await Promise.allSettled(waits);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length === 0) {
      end();
      return;
    }
    events.publishFailed({ bus: 'memory' }, { failed: failed.length, of: messages.length }, failed.length);
    throw failed[0]?.reason;
  }

  function subscribe(options: SubscribeOptions, handler: BatchHandler): Subscription {
    if (closed) throw new BusUnavailableError('the memory bus is closed');
    const group = groupFor(options);
    const inner = startMemorySubscriber({
      group,
      options,
      handler,
      ackWaitMs: options.ackWaitMs ?? ackWaitMs,
      toDelivery: (entry) => toMemoryDelivery(group, entry, recordDeadLetter),
      onHandlerError: (err) => events.handlerFailed({ bus: 'memory' }, { durable: options.durable, err }),
    });
    const subscription: Subscription = {
      close: async () => {
        subscriptions.delete(subscription);
        await inner.close();
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  async function shutdown(): Promise<void> {
    closed = true;
    // In-hand batches finish first, so what they ack still resolves its publisher.
    await Promise.all([...subscriptions].map((s) => s.close()));
    const error = new BusUnavailableError('the memory bus closed before the message was consumed');
    for (const tracker of [...inFlight.values()]) tracker.fail(error);
    for (const group of groups.values()) group.clear();
    backlog = [];
    await deadLetterFile?.close();
  }

  return {
    kind: 'memory',
    capabilities: IN_PROCESS,
    start: async () => {},
    publish,
    subscribe,
    healthcheck: async (): Promise<Health> =>
      closed ? down('the memory bus is closed') : up(`${inFlight.size} messages in flight`),
    close: () => (closing ??= shutdown()),
    deadLetters: () => [...dead],
  };
}
