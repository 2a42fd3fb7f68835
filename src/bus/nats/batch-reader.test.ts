import { describe, expect, it } from 'vitest';
import { BatchReader } from './batch-reader.js';

/** An iterator over fixed chunks; `next()` after the last chunk never settles (a consumer waiting for more). */
function chunks<T>(list: T[][]): AsyncIterator<T[]> {
  let i = 0;
  return { next: () => (i < list.length ? Promise.resolve({ done: false, value: list[i++] as T[] }) : new Promise(() => {})) };
}

describe('batch reader', () => {
  it('splits a chunk across batches and gathers several chunks into one, in order', async () => {
    const reader = new BatchReader(chunks([['a1', 'a2', 'a3'], ['b1'], ['c1', 'c2']]));
    const stop = new AbortController().signal;
    expect(await reader.read(2, 0, stop)).toEqual(['a1', 'a2']);
    expect(await reader.read(4, 50, stop)).toEqual(['a3', 'b1', 'c1', 'c2']);
  });

  it('hands back what is in hand and what arrives after a stop', async () => {
    const reader = new BatchReader(chunks([['a1', 'a2', 'a3'], ['b1']]));
    const stop = new AbortController().signal;
    expect(await reader.read(1, 0, stop)).toEqual(['a1']);
    const limit = new AbortController();
    const rest = reader.rest(limit.signal);
    setImmediate(() => limit.abort());
    expect(await rest).toEqual(['a2', 'a3', 'b1']);
  });
});
