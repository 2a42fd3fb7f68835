import type { Delivery } from '../bus.js';
import type { Entry, Group } from './group.js';

export interface DeadLetterRecord {
  readonly id: string;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reason: string;
  readonly deliveries: number;
}

/**
 * One delivery of a memory-bus entry. The first settle wins, like a JetStream ack; later calls do nothing. A dead
 * letter settles only once `onDeadLetter` has kept it: when that fails, the entry comes back after the ack wait.
 */
export function toMemoryDelivery(group: Group, entry: Entry, onDeadLetter: (record: DeadLetterRecord) => Promise<void>): Delivery {
  const { message, subject } = entry.tracker;
  let settled = false;
  const claim = () => {
    // A delivery superseded by a redelivery (ack wait expired) no longer settles anything.
    if (settled || entry.state !== 'delivered') return false;
    settled = true;
    return true;
  };
  return {
    id: message.id,
    data: message.data,
    subject,
    deliveries: entry.deliveries,
    ack: async () => {
      if (claim()) group.settle(entry);
    },
    nak: (delayMs) => {
      if (!claim()) return;
      clearTimeout(entry.timer);
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        if (entry.state === 'delivered' && group.entries.has(entry)) group.enqueue(entry);
      }, Math.max(0, delayMs));
    },
    deadLetter: async (reason) => {
      if (!claim()) return;
      await onDeadLetter({ id: message.id, subject, data: message.data, reason, deliveries: entry.deliveries });
      group.settle(entry);
    },
  };
}
