// Processes under test: started pinned to a core with taskset, measured from /proc, stopped by pid.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, createWriteStream, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const started = new Set();

/** Starts `cmd args` pinned to `cores` ("0", "1", "0,1"); output goes to `logFile`. */
export function startPinned(cores, cmd, args, { env = {}, cwd, logFile } = {}) {
  const child = spawn('taskset', ['-c', cores, cmd, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (logFile) {
    const out = createWriteStream(logFile, { flags: 'a' });
    out.on('error', (err) => console.error(`bench: cannot write ${logFile}: ${err.message}`));
    child.stdout.pipe(out);
    child.stderr.pipe(out);
  } else {
    child.stdout.resume();
    child.stderr.resume();
  }
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** Stops a child by its pid (SIGTERM, then SIGKILL after `graceMs`) and waits for its exit. */
export async function stop(child, graceMs = 15_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  process.kill(child.pid, 'SIGTERM');
  const timer = sleep(graceMs).then(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  });
  const result = await exited;
  void timer;
  return result;
}

/** Every child started here and still running, stopped (used on exit and on errors). */
export async function stopAll() {
  await Promise.all([...started].map((c) => stop(c, 5_000).catch(() => undefined)));
}

export async function waitPort(port, { timeoutMs = 30_000, child } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before listening on ${port}`);
    const ok = await new Promise((resolve) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** A pid and all its descendants (nginx workers, cluster workers, the real process behind taskset). */
export function processTree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks;
    try {
      tasks = readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        const kids = readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      } catch {
        // the task ended meanwhile
      }
    }
  }
  return out;
}

/** utime + stime of one process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by a process tree (taskset execs the command, so the pid is the server's). */
export function cpuSeconds(pid) {
  return processTree(pid).reduce((sum, p) => sum + cpuTicks(p), 0) / CLK_TCK;
}

/** Peak resident set (VmHWM) of each process of the tree, in MB; the largest one (the worst process). */
export function peakRssMb(pid) {
  let peak = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      // ended
    }
  }
  return peak;
}

/**
 * Starts the peak resident set (VmHWM) of each process of the tree again from its current RSS (Linux's
 * `clear_refs` value 5), so a later peakRssMb() covers only what came after: a phase measured on its own.
 */
export function resetPeakRss(pid) {
  for (const p of processTree(pid)) {
    try {
      writeFileSync(`/proc/${p}/clear_refs`, '5');
    } catch {
      // ended
    }
  }
}

/** Current resident set of each process of the tree (VmRSS), in MB. */
export function rssMb(pid) {
  return processTree(pid).map((p) => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  });
}

/** A command's stdout and stderr together ('' when it cannot run): for version strings, which some print on stderr. */
export function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}
