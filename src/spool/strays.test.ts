import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { segmentName } from './segment-files.js';
import { straySpoolDirs } from './strays.js';

describe('straySpoolDirs', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });
  /** A spool root holding a segment in the root itself and in the named worker directories (others empty). */
  const layout = (withSegments: string[], empty: string[] = []) => {
    const root = mkdtempSync(join(tmpdir(), 'gatehouse-strays-'));
    roots.push(root);
    for (const name of withSegments) {
      const dir = name === '.' ? root : join(root, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, segmentName(1)), '');
    }
    for (const name of empty) mkdirSync(join(root, name), { recursive: true });
    return root;
  };

  it('finds every worker directory with segments for a single process, never the root it writes itself', async () => {
    const root = layout(['.', 'worker-0', 'worker-3'], ['worker-1', 'destinations']);
    expect(await straySpoolDirs(root, 1)).toEqual([join(root, 'worker-0'), join(root, 'worker-3')]);
  });

  it('finds, for N workers, the root and the worker directories past N that hold segments', async () => {
    const root = layout(['.', 'worker-0', 'worker-1', 'worker-2', 'worker-10'], ['worker-5']);
    expect(await straySpoolDirs(root, 2)).toEqual([root, join(root, 'worker-2'), join(root, 'worker-10')]);
    expect(await straySpoolDirs(layout(['worker-0', 'worker-1']), 2)).toEqual([]);
  });

  it('finds nothing in a spool directory that does not exist yet, for one process or several', async () => {
    const missing = join(tmpdir(), 'gatehouse-no-such-spool-dir');
    expect(await straySpoolDirs(missing, 1)).toEqual([]);
    expect(await straySpoolDirs(missing, 2)).toEqual([]);
  });
});
