import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../track/uuid7.js';
import { madeAtReceipt } from './event-writer.js';

describe('madeAtReceipt', () => {
  const received = Date.parse('2026-03-01T10:00:00.000Z');

  it("tells the gateway's own eids (a UUIDv7 of the receive time) from the clients'", () => {
    expect(madeAtReceipt(uuidv7(received), received)).toBe(true);
    expect(madeAtReceipt(uuidv7(received + 3), received)).toBe(true);
    // A client's UUIDv7 made before its request (a retry), or long after by a skewed clock, is the client's.
    expect(madeAtReceipt(uuidv7(received - 30_000), received)).toBe(false);
    expect(madeAtReceipt(uuidv7(received + 60_000), received)).toBe(false);
    expect(madeAtReceipt(randomUUID(), received)).toBe(false);
    expect(madeAtReceipt('ajs-next-0123456789abcdef', received)).toBe(false);
  });
});
