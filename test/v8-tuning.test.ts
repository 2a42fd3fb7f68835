import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SERVING_STARTUP_FLAGS, servingExecArgv } from '../src/server/v8-tuning.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const FIXTURE = join(ROOT, 'test/fixtures/v8/pretenuring.ts');

/**
 * `--single-threaded`: no background compilation or garbage-collection threads, whose timing on a loaded machine
 * could change when V8 reads the allocation site's feedback (the control once came out young in a full suite run).
 */
async function bornYoung(tuned: boolean): Promise<boolean> {
  const flags = ['--single-threaded', '--allow-natives-syntax', '--expose-gc', '--import', 'tsx'];
  const { stdout } = await run(process.execPath, [...flags, FIXTURE, ...(tuned ? ['tuned'] : [])], {
    cwd: ROOT,
  });
  return (JSON.parse(stdout) as { young: boolean }).young;
}

describe('V8 tuning of serving processes', () => {
  it('keeps objects of a long-surviving allocation site young (no pretenuring), which V8 would otherwise move to the old generation', async () => {
    // The control shows the scenario does trigger pretenuring on this V8; the tuned run shows the flag stops it.
    expect(await bornYoung(false)).toBe(false);
    expect(await bornYoung(true)).toBe(true);
  });

  it('starts serving processes with a capped young generation, which Node 24 otherwise grows to 2 x 64 MB under load', async () => {
    // Garbage with a few survivors, counted (not timed) so a loaded machine makes it slower, not different.
    const churn = `const keep = []; for (let n = 0; n < 400_000; n++) { const a = []; for (let i = 0; i < 100; i++) a.push({ i, s: 'x' + i });
      if (n % 100 === 0) keep.push(a); if (keep.length > 200) keep.shift(); }
      const s = require('node:v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
      process.stdout.write(String(s.space_size / 2 ** 20));`;
    const newSpaceMb = async (flags: readonly string[]) => Number((await run(process.execPath, [...flags, '-e', churn])).stdout);
    // The control shows this load does grow the young generation past the cap on this V8.
    expect(await newSpaceMb([])).toBeGreaterThan(32);
    expect(await newSpaceMb(servingExecArgv([]))).toBeLessThanOrEqual(32);
  });

  it('adds the start-up flags to the execArgv of a worker unless the operator set them (their value wins)', () => {
    expect(servingExecArgv(['--enable-source-maps'])).toEqual(['--enable-source-maps', ...SERVING_STARTUP_FLAGS]);
    expect(servingExecArgv(['--max-semi-space-size=64'])).toEqual(['--max-semi-space-size=64']);
    expect(servingExecArgv(['--max_semi_space_size=8'])).toEqual(['--max_semi_space_size=8']);
  });
});
