import type { ExperimentCounts, ExperimentQuery } from '../../src/experiments/counts.js';
import type { TrackEvent } from '../../src/track/event.js';
import { contractEvent } from './sink-contract.js';

/**
 * One scripted experiment history for every store's experiment counts (test/experiments-stores.test.ts, and the
 * gated test/cassandra.test.ts), counted by hand:
 *   control: c1 (buys, card), c2 (buys before its exposure only: not a conversion), c3 (nothing)  → 3 units, 1 purchase, 1 card
 *   b:       b1 (buys twice: one unit), b2 (buys by bank: purchase, not card), b3 on the next day (buys) → 3 units, 3 purchases, 2 card
 *   left out: q1 (override to b), m1 (control, then b after a ramp), bot1 (a bot in b, buys)
 *   a stray purchase by a visitor never exposed counts nowhere; another experiment's exposure neither.
 * `xid` and the visitor prefix keep runs apart in a store that outlives the test (a real cluster).
 */
export function experimentHistory(t0: number, xid = 'checkout', prefix = ''): { history: TrackEvent[]; expected: ExperimentCounts; query: ExperimentQuery } {
  const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();
  const exposure = (vid: string, split: string, minute: number, extra: Partial<TrackEvent> = {}) =>
    contractEvent({ origin: 'experiment', ename: 'exposure', etyp: 'assigned', xid, split, vid: prefix + vid, sid: `s-${prefix}${vid}`, received: at(minute), params: undefined, ...extra });
  const goal = (vid: string, minute: number, extra: Partial<TrackEvent> = {}) =>
    contractEvent({ ename: 'purchase', etyp: 'card', vid: prefix + vid, sid: `s-${prefix}${vid}`, received: at(minute), params: undefined, ...extra });
  const history: TrackEvent[] = [
    exposure('c1', 'control', 0), goal('c1', 5),
    goal('c2', 1), exposure('c2', 'control', 2),
    exposure('c3', 'control', 3),
    exposure('b1', 'b', 0), goal('b1', 1), goal('b1', 2),
    exposure('b2', 'b', 4), goal('b2', 6, { etyp: 'bank' }),
    exposure('b3', 'b', 24 * 60 + 5), goal('b3', 24 * 60 + 6),
    exposure('q1', 'b', 0, { etyp: 'override' }), goal('q1', 1),
    exposure('m1', 'control', 0), exposure('m1', 'b', 60), goal('m1', 61),
    exposure('bot1', 'b', 0, { bot: true }), goal('bot1', 1, { bot: true }),
    goal('stray', 3),
    exposure('c1', 'x', 0, { xid: `${xid}-other` }),
  ];
  const expected: ExperimentCounts = {
    units: { control: 3, b: 3 },
    conversions: { purchase: { control: 1, b: 3 }, card: { control: 1, b: 2 } },
    excluded: { override: 1, moved: 1, bots: 1 },
  };
  const query: ExperimentQuery = {
    experiment: xid,
    key: 'vid',
    since: new Date(t0 - 60_000),
    goals: [
      { name: 'purchase', ename: 'purchase' },
      { name: 'card', ename: 'purchase', field: 'etyp', equals: 'card' },
    ],
  };
  return { history, expected, query };
}
