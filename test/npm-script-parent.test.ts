import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { writeConfig } from './helpers/cli.js';
import { freePort } from './helpers/net.js';
import { waitFor } from './helpers/wait.js';

const ROOT = join(import.meta.dirname, '..');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * `npm start` runs npm, then a shell, then the gateway; npm exits on a SIGTERM sent to it alone and does not pass it
 * on, and its shell goes with it. Here a shell stands in for npm's (with npm's environment variable) and is killed.
 */
describe('a gateway started by an npm script', () => {
  const shells: ChildProcess[] = [];
  const pids: number[] = [];
  afterEach(() => {
    for (const s of shells.splice(0)) s.kill('SIGKILL');
    for (const pid of pids.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('shuts down gracefully once the script that started it is gone', async () => {
    const port = await freePort();
    const { path, dir } = writeConfig({
      server: { listen: { host: '127.0.0.1', port }, workers: 1 },
      admin: { enabled: false },
      log: { level: 'info' },
      spool: { dir: join('${DIR}', 'spool') },
      sinks: { duckdb: { path: join('${DIR}', 'db.duckdb') } },
    });
    // "; true": the shell stays the gateway's parent instead of exec-ing it, as npm's does.
    const command = `"${process.execPath}" --import tsx src/cli.ts serve --config "${path}"; true`;
    const shell = spawn('sh', ['-c', command], { cwd: ROOT, env: { ...process.env, DIR: dir, npm_lifecycle_event: 'start' }, stdio: ['ignore', 'pipe', 'pipe'] });
    shells.push(shell);
    let output = '';
    shell.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    shell.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor('the gateway to answer /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200);
    const gateway = Number(execFileSync('pgrep', ['-P', String(shell.pid)], { encoding: 'utf8' }).trim());
    pids.push(gateway);

    shell.kill('SIGKILL');
    await waitFor('the gateway to stop', () => !alive(gateway), { timeoutMs: 30_000 });
    expect(output).toMatch(/"event":"parentExited"/);
    expect(output).toMatch(/"event":"shutdownFinished"/);
  });
});
