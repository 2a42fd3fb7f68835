import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `gatehouse <args>` (this run's src/) to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * The run's build of src/ (test/global-setup.ts), or src/ itself through tsx when there is none (a test file run
 * without the global setup).
 */
const CLI: readonly string[] = process.env.GATEHOUSE_TEST_BUILD ? [process.env.GATEHOUSE_TEST_BUILD] : ['--import', 'tsx', join(ROOT, 'src/cli.ts')];

/** `prefix` runs it under another command that execs it (`ip netns exec <ns>`), so the PID stays gatehouse's. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, prefix: readonly string[] = []): ChildProcess {
  const [command = process.execPath, ...rest] = [...prefix, process.execPath];
  return spawn(command, [...rest, ...CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Writes a config file into a new temp dir; returns its path and the dir. */
export function writeConfig(config: unknown): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return { path, dir };
}

/** Resolves with the exit code (or signal) of a child. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export type LogLine = Record<string, unknown>;

/** Collects a child's JSON log lines from its stdout into `into` as they come; returns its stderr so far. */
export function collectLogs(child: ChildProcess, into: LogLine[]): () => string {
  let partial = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{')) into.push(JSON.parse(line) as LogLine);
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return () => stderr;
}
