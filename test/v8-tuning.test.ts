import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const FIXTURE = join(ROOT, 'test/fixtures/v8/pretenuring.ts');

async function bornYoung(tuned: boolean): Promise<boolean> {
  const { stdout } = await run(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--import', 'tsx', FIXTURE, ...(tuned ? ['tuned'] : [])], {
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
});
