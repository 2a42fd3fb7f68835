import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncedLines } from './synced-lines.js';

describe('syncedLines', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-lines-'));
    dirs.push(dir);
    return dir;
  };

  it('appends one JSON line per entry, in call order, making its directory', async () => {
    const path = join(tempDir(), 'a', 'b', 'lines.jsonl');
    const lines = syncedLines<{ n: number }>(path);
    await Promise.all([1, 2, 3].map((n) => lines.append({ n })));
    await lines.close();
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
  });

  it('tries to open the file again after an open failed, instead of failing every append after', async () => {
    const dir = tempDir();
    const blocker = join(dir, 'sub');
    writeFileSync(blocker, ''); // a regular file where the directory should be
    const lines = syncedLines<{ n: number }>(join(blocker, 'lines.jsonl'));
    await expect(lines.append({ n: 1 })).rejects.toThrow(/EEXIST|ENOTDIR/);
    rmSync(blocker);
    await lines.append({ n: 2 });
    await lines.close();
    expect(readFileSync(join(blocker, 'lines.jsonl'), 'utf8')).toBe('{"n":2}\n');
  });
});
