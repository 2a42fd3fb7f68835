import { writeFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait.js';
import { RecordingBus, encodedGroup, message, spoolConfig, startSpool, tempDir } from '../../test/spool-harness.js';
import { recordSize } from './record.js';
import { segmentPath } from './segment-files.js';

/** Where one record lies in the segment, and the call (group commit) it belongs to. */
interface Placed {
  readonly id: string;
  readonly group: number;
  readonly from: number;
  readonly to: number;
}

/** Groups of `sizes[i]` records, laid end to end as the writer commits them. */
function segmentOf(sizes: readonly number[]): { bytes: Buffer; placed: Placed[]; groupEnds: number[] } {
  const placed: Placed[] = [];
  const groupEnds: number[] = [];
  const parts: Buffer[] = [];
  let at = 0;
  sizes.forEach((n, g) => {
    const messages = Array.from({ length: n }, (_, i) => message(`g${g}-r${i}`));
    for (const m of messages) {
      placed.push({ id: m.id, group: g, from: at, to: at + recordSize(m) });
      at += recordSize(m);
    }
    groupEnds.push(at);
    parts.push(encodedGroup(messages));
  });
  return { bytes: Buffer.concat(parts), placed, groupEnds };
}

type Damage =
  | { readonly kind: 'truncate'; readonly at: number; readonly zeros: number }
  | { readonly kind: 'zeros' | 'noise'; readonly from: number; readonly length: number; readonly noise: Uint8Array };

/** Damages a copy of the segment; a range of zeros or noise is kept clear of the last call (see the property). */
function damaged(bytes: Buffer, damage: Damage): Buffer {
  // A cut, then maybe the zeros a prepared segment (spool.preallocate) holds past its data.
  if (damage.kind === 'truncate') return Buffer.concat([bytes.subarray(0, damage.at), Buffer.alloc(damage.zeros)]);
  const out = Buffer.from(bytes);
  for (let i = 0; i < damage.length; i++) out[damage.from + i] = damage.kind === 'zeros' ? 0 : (damage.noise[i % damage.noise.length] ?? 0);
  return out;
}

describe('spool recovery from arbitrary damage', () => {
  it('replays exactly the whole calls before a cut, and every record a damaged range leaves whole; never one not written', async () => {
    const groups = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 6 });
    const scenario = groups.chain((sizes) => {
      const { bytes, groupEnds } = segmentOf(sizes);
      const lastCallStarts = groupEnds.at(-2) ?? 0;
      const truncate = fc
        .tuple(fc.integer({ min: 0, max: bytes.length }), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8192 })))
        .map(([at, zeros]): Damage => ({ kind: 'truncate', at, zeros }));
      const range = fc
        .tuple(fc.constantFrom('zeros' as const, 'noise' as const), fc.integer({ min: 0, max: lastCallStarts - 1 }), fc.integer({ min: 1, max: 64 }), fc.uint8Array({ minLength: 1, maxLength: 64 }))
        .map(([kind, from, length, noise]): Damage => ({ kind, from, length: Math.min(length, lastCallStarts - from), noise }));
      return fc.tuple(fc.constant(sizes), fc.oneof(truncate, range));
    });

    await fc.assert(
      fc.asyncProperty(scenario, async ([sizes, damage]) => {
        const { bytes, placed, groupEnds } = segmentOf(sizes);
        const { dir, remove } = await tempDir();
        const bus = new RecordingBus();
        let started: Awaited<ReturnType<typeof startSpool>> | undefined;
        try {
          await writeFile(segmentPath(dir, 1), damaged(bytes, damage));
          // Small segments: each start prepares the next one, zero-filled (spool.preallocate).
          started = await startSpool(spoolConfig(dir, { segmentBytes: 1024 * 1024 }), bus);
          const { spool } = started;
          await waitFor('the recovered records forwarded', () => spool.stats().pendingRecords === 0, { timeoutMs: 20_000, intervalMs: 5 });

          const published = bus.unique();
          // Nothing that was not written, and what was written, byte for byte.
          for (const id of published) {
            expect(placed.some((p) => p.id === id)).toBe(true);
            expect(bus.payloads.get(id)).toBe(`payload:${id}`);
          }
          if (damage.kind === 'truncate') {
            // A torn tail (zeros after it or not): every call that ended before the cut, all of it; of the call it
            // cut, nothing.
            const whole = placed.filter((p) => (groupEnds[p.group] ?? Infinity) <= damage.at).map((p) => p.id);
            expect([...published].sort()).toEqual(whole.sort());
          } else {
            // Mid-segment damage: each record it left whole is kept (only the damaged ones are lost).
            const end = damage.from + damage.length;
            const untouched = placed.filter((p) => p.to <= damage.from || p.from >= end).map((p) => p.id);
            for (const id of untouched) expect(published.has(id), `${id} outside the damaged range`).toBe(true);
          }

          // And the spool takes and forwards new events after recovering.
          await spool.append([message('after')]);
          await waitFor('a record appended after recovery forwarded', () => bus.unique().has('after'), { timeoutMs: 20_000, intervalMs: 5 });
        } finally {
          await started?.spool.close(0);
          await remove();
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
