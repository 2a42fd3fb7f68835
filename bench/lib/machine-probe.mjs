// What waking a thread costs on this machine, for the report's machine section. Run pinned to the server core:
//   node machine-probe.mjs LOAD_CORE
// 1. Cross-core wake: one byte back and forth over pipes with a Node process pinned to LOAD_CORE, back to back and
//    with 1 ms of idle between round trips (each side then sleeps and is woken, as a server under steady arrivals).
// 2. A file write through libuv's thread pool against the same write made synchronously: 8 KB, O_DSYNC, as the
//    spool's group commit. The difference is the hand-off to a pool thread and back.
// Prints one JSON line. CPU is utime + stime (both processes for 1; the whole process, all threads, for 2).
import { spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds } from './proc.mjs';

if (process.argv[2] === 'echo') {
  process.stdin.on('data', (d) => process.stdout.write(d));
} else {
  const loadCore = process.argv[2] ?? '1';
  const out = { wake: { backToBack: await pingPong(loadCore, 20_000, 0), idle1ms: await pingPong(loadCore, 2_000, 1) }, poolWrite: await poolWrite() };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function pingPong(core, rounds, gapMs) {
  const child = spawn('taskset', ['-c', core, process.execPath, import.meta.filename, 'echo'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const one = Buffer.from('x');
  const roundTrip = () =>
    new Promise((resolve) => {
      child.stdout.once('data', resolve);
      child.stdin.write(one);
    });
  for (let i = 0; i < 200; i++) await roundTrip(); // warm-up (and the child is up)
  const c0 = process.cpuUsage();
  const k0 = cpuSeconds(child.pid);
  let waited = 0;
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    await roundTrip();
    if (gapMs) {
      const s = performance.now();
      await sleep(gapMs);
      waited += performance.now() - s;
    }
  }
  const wall = performance.now() - t0 - waited;
  const c = process.cpuUsage(c0);
  const childCpu = cpuSeconds(child.pid) - k0;
  child.kill();
  return { rounds, rttUs: (wall * 1000) / rounds, cpuUs: ((c.user + c.system) / 1e6 + childCpu) * 1e6 / rounds };
}

async function poolWrite() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-probe-'));
  const buf = Buffer.alloc(8192, 1);
  const n = 1_000;
  try {
    const fd = openSync(join(dir, 'sync'), constants.O_WRONLY | constants.O_CREAT | constants.O_DSYNC, 0o600);
    let c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) writeSync(fd, buf, 0, buf.length, i * buf.length);
    let c = process.cpuUsage(c0);
    closeSync(fd);
    const syncCpuUs = (c.user + c.system) / n;
    const handle = await open(join(dir, 'pool'), constants.O_WRONLY | constants.O_CREAT | constants.O_DSYNC, 0o600);
    c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await handle.write(buf, 0, buf.length, i * buf.length);
    c = process.cpuUsage(c0);
    await handle.close();
    return { writes: n, syncCpuUs, poolCpuUs: (c.user + c.system) / n };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
