import { describe, expect, it } from 'vitest';
import { LogIndex } from './log-index.js';

describe('LogIndex', () => {
  it('reads across sealed segments up to the active one', () => {
    const index = new LogIndex({ seq: 1, offset: 0 });
    index.addSegment(1, 100, false);
    index.addSegment(2, 0, false);
    index.addSegment(4, 0, true);
    expect(index.readable({ seq: 1, offset: 40 })).toEqual({ seq: 1, offset: 40, end: 100 });
    expect(index.readable({ seq: 1, offset: 100 })).toBeUndefined();
    index.committed(4, 50, 2, 50, 1000);
    expect(index.readable({ seq: 1, offset: 100 })).toEqual({ seq: 4, offset: 0, end: 50 });
    expect(index.normalise({ seq: 1, offset: 100 })).toEqual({ seq: 4, offset: 0 });
  });

  it('tracks pending totals and the oldest record as the checkpoint advances', () => {
    const index = new LogIndex({ seq: 1, offset: 0 });
    index.addSegment(1, 0, true);
    index.committed(1, 30, 3, 30, 1000);
    index.committed(1, 50, 2, 20, 2000);
    expect([index.pendingRecords, index.pendingBytes, index.oldestAppendedAt]).toEqual([5, 50, 1000]);
    index.advance({ seq: 1, offset: 20 }, 2, 20);
    expect(index.oldestAppendedAt).toBe(1000);
    index.advance({ seq: 1, offset: 30 }, 1, 10);
    expect([index.pendingRecords, index.pendingBytes, index.oldestAppendedAt]).toEqual([2, 20, 2000]);
    index.advance({ seq: 1, offset: 50 }, 2, 20);
    expect([index.pendingRecords, index.pendingBytes, index.oldestAppendedAt]).toEqual([0, 0, undefined]);
  });

  it('lists only sealed segments wholly behind a position', () => {
    const index = new LogIndex({ seq: 1, offset: 0 });
    index.addSegment(1, 10, false);
    index.addSegment(2, 10, false);
    index.addSegment(3, 0, true);
    expect(index.forwardedSegments({ seq: 3, offset: 0 })).toEqual([1, 2]);
    expect(index.forwardedSegments({ seq: 2, offset: 5 })).toEqual([1]);
  });
});
