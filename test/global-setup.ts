import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The run's temporary files (spools, DuckDB files, configs, NATS stores) go under one directory, removed when the
 * run ends. Tests kill servers with SIGKILL on purpose, and a killed gateway leaves its spool behind, a prepared
 * segment of 16 MiB among it; run after run, /tmp would fill up. Test workers and the servers they start inherit
 * TMPDIR, which os.tmpdir() reads.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-run-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
