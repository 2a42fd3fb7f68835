import { describe, expect, it } from 'vitest';
import { PublishLedger } from './publish-ledger.js';

describe('PublishLedger', () => {
  it('answers acknowledged packs and raises its floor to the highest PubAck sequence', () => {
    const l = new PublishLedger();
    l.onAck('a+2', 10);
    l.onAck('c', 7);
    expect(l.isAcked('a+2')).toBe(true);
    expect(l.isAcked('c')).toBe(true);
    expect(l.isAcked('d')).toBe(false);
    expect(l.floor).toBe(10);
  });

  it('asks for a look-up only for packs first sent before the safe time, from their lowest floor', () => {
    const l = new PublishLedger();
    l.onUnknown('old', 5, 1_000);
    l.onUnknown('old', 9, 3_000); // sent again later: the first send and the lower floor count
    l.onUnknown('recent', 2, 8_000);
    expect(l.unresolved(['old', 'recent', 'other'], 5_000)).toEqual({ ids: ['old'], floor: 5 });
    expect(l.unresolved(['recent'], 5_000)).toBeUndefined();
    expect(l.unresolved(['old', 'recent'], 9_000)).toEqual({ ids: ['old', 'recent'], floor: 2 });
  });

  it('after a look-up, counts the packs found as acknowledged and the others as never sent', () => {
    const l = new PublishLedger();
    l.onUnknown('found', 1, 0);
    l.onUnknown('missing', 1, 0);
    l.resolve(['found', 'missing'], new Set(['found']));
    expect(l.isAcked('found')).toBe(true);
    expect(l.isAcked('missing')).toBe(false);
    expect(l.unresolved(['found', 'missing'], Infinity)).toBeUndefined();
  });

  it('forgets the oldest entries past its cap', () => {
    const l = new PublishLedger(2);
    for (const id of ['a', 'b', 'c']) l.onAck(id, 1);
    expect(['a', 'b', 'c'].map((id) => l.isAcked(id))).toEqual([false, true, true]);
  });
});
