import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/wait.js';
import { RecordingBus, spoolConfig, startSpool, tempDir } from './spool-harness.js';

const CHILD = join(import.meta.dirname, 'spool-crash.child.ts');

/** Runs the child until it has confirmed `confirmations` appends, then SIGKILLs it; returns the confirmed ids. */
async function runAndKill(dir: string, log: string, fsync: string, prefix: string, confirmations: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, log, fsync, prefix], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const confirmed: string[] = [];
  let lines = 0;
  let partial = '';
  let stderr = '';
  let exited = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const text = partial + chunk;
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.startsWith('ok ')) continue;
      confirmed.push(...line.slice(3).split(' '));
      lines++;
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  try {
    await waitFor(`${confirmations} confirmed appends from the child`, () => {
      if (exited) throw new Error(`child exited early: ${stderr.slice(-2000)}`);
      return lines >= confirmations;
    }, { timeoutMs: 90_000 });
  } finally {
    child.kill('SIGKILL');
    await exit;
  }
  return confirmed;
}

async function publishedByChildren(log: string): Promise<Set<string>> {
  const text = await readFile(log, 'utf8').catch(() => '');
  // The last line may be torn by the kill; a torn id's publish never resolved, so it is replayed anyway.
  return new Set(text.split('\n').slice(0, -1));
}

describe('spool under SIGKILL', () => {
  let dir = '';
  let remove = async () => undefined as void;
  beforeEach(async () => ({ dir, remove } = await tempDir()));
  afterEach(() => remove());

  it.each(['always', 'never'])('loses no confirmed append across two kills (fsync %s)', async (fsync) => {
    const spoolDir = join(dir, 'spool');
    const log = join(dir, 'published.log');
    const confirmed = [
      ...(await runAndKill(spoolDir, log, fsync, 'a', 2_000)),
      // The second run recovers what the first left (torn tail included) while taking new load.
      ...(await runAndKill(spoolDir, log, fsync, 'b', 2_000)),
    ];
    expect(confirmed.length).toBeGreaterThanOrEqual(4_000);

    const bus = new RecordingBus();
    const { spool } = await startSpool(spoolConfig(spoolDir), bus);
    try {
      await waitFor('the restarted spool caught up', () => spool.stats().pendingRecords === 0, { timeoutMs: 60_000 });
      const before = await publishedByChildren(log);
      const missing = confirmed.filter((id) => !before.has(id) && !bus.unique().has(id));
      expect(missing).toEqual([]);
      for (const [id, payload] of bus.payloads) expect(payload).toBe(`payload:${id}`);
    } finally {
      await spool.close(1_000);
    }
  });
});
