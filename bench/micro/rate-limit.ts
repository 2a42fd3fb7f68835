/**
 * What a rate-limit check costs, and what sharing limits between workers adds (src/ratelimit/leases.ts):
 * - CPU per check of the single-process memory limiter and of a worker's lease limiter within its share (no IPC);
 * - CPU per lease over a real IPC channel (a forked process holds the ledger, as the primary does), both ends;
 * - messages per window for a client flooding 2 workers past its limit (the default tracking rule).
 * Run: npx tsx bench/micro/rate-limit.ts [checks per rep, default 200000]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { defaultConfig } from '../../src/settings/load.js';
import { buildLimiters, type ClassLimiter } from '../../src/ratelimit/limiters.js';
import { buildLeaseLimiters } from '../../src/ratelimit/lease-limiter.js';
import { LeaseLedger } from '../../src/ratelimit/lease-ledger.js';
import { NOTHING_RETURNED, type LeaseCoordinator, type LeaseGrant, type LeaseRequest, type Returned } from '../../src/ratelimit/leases.js';
import type { RateLimitConfig } from '../../src/ratelimit/config.js';

const N = Number(process.argv[2] ?? 200_000);
const REPS = 5;
const KEYS = Array.from({ length: 1000 }, (_, i) => `198.51.${i >> 8}.${i & 255}`);

function configWith(points: number, burst: number): RateLimitConfig {
  const base = defaultConfig().rateLimit;
  return { ...base, rules: { ...base.rules, tracking: { ...base.rules.tracking, points, burst } } };
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function perCheck(limiter: ClassLimiter): Promise<number> {
  const reps: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const start = cpuUs();
    for (let i = 0; i < N; i++) {
      const d = limiter.check(KEYS[i % KEYS.length] as string);
      if (d instanceof Promise) await d;
    }
    reps.push(((cpuUs() - start) * 1000) / N);
  }
  return median(reps);
}

const noLeases: LeaseCoordinator = {
  workers: 2,
  lease: () => Promise.reject(new Error('not expected within the share')),
  onReclaim: () => undefined,
};

/** The ledger's process: answers leases, reclaims nothing (the other worker is idle), reports its CPU. */
function ledgerProcess(): void {
  const ledger = new LeaseLedger(configWith(1_000_000, 0), 2, () => Promise.resolve(NOTHING_RETURNED));
  process.on('message', (m: { id: number; request?: LeaseRequest; cpu?: true }) => {
    if (m.cpu) process.send?.({ id: m.id, cpu: cpuUs() });
    else if (m.request) void ledger.lease(0, m.request).then((grant) => process.send?.({ id: m.id, grant }));
  });
}

/** Leases over IPC: each check of a fresh client needs one (share 0: `points` 1 over 2 workers). */
async function perLease(): Promise<{ leaseUs: number; bothUs: number }> {
  const child: ChildProcess = fork(import.meta.filename, ['--ledger'], { execArgv: ['--import', 'tsx'], serialization: 'advanced' });
  let next = 1;
  const pending = new Map<number, (v: { grant?: LeaseGrant; cpu?: number }) => void>();
  child.on('message', (m: { id: number; grant?: LeaseGrant; cpu?: number }) => pending.get(m.id)?.(m));
  const ask = (msg: object) =>
    new Promise<{ grant?: LeaseGrant; cpu?: number }>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      child.send({ ...msg, id });
    });
  const coordinator: LeaseCoordinator = {
    workers: 2,
    lease: async (request) => (await ask({ request })).grant as LeaseGrant,
    onReclaim: () => undefined,
  };
  const limiter = buildLeaseLimiters(configWith(1, 0), coordinator).limiters.get('tracking') as ClassLimiter;
  const n = Math.min(N, 20_000);
  const reps: { leaseUs: number; bothUs: number }[] = [];
  for (let r = 0; r < REPS; r++) {
    const childBefore = (await ask({ cpu: true })).cpu ?? 0;
    const start = cpuUs();
    for (let i = 0; i < n; i++) await limiter.check(`r${r}-c${i}`);
    const own = cpuUs() - start;
    const childUs = ((await ask({ cpu: true })).cpu ?? 0) - childBefore;
    reps.push({ leaseUs: own / n, bothUs: (own + childUs) / n });
  }
  child.kill();
  return { leaseUs: median(reps.map((x) => x.leaseUs)), bothUs: median(reps.map((x) => x.bothUs)) };
}

/** Messages a flooding client costs per window, in-process: requests alternate between 2 workers. */
async function floodMessages(requests: number): Promise<{ allowed: number; leases: number; reclaims: number }> {
  const config = defaultConfig().rateLimit;
  const counts = { leases: 0, reclaims: 0 };
  const reclaimers: ((r: LeaseRequest) => Returned)[] = [];
  const ledger = new LeaseLedger(config, 2, async (slot, request) => {
    counts.reclaims += 1;
    return reclaimers[slot]?.(request) ?? NOTHING_RETURNED;
  });
  const limiters = [0, 1].map((slot) => {
    const built = buildLeaseLimiters(config, {
      workers: 2,
      lease: (request) => {
        counts.leases += 1;
        return ledger.lease(slot, request);
      },
      onReclaim: () => undefined,
    });
    reclaimers[slot] = (r) => built.reclaim(r);
    return built.limiters.get('tracking') as ClassLimiter;
  });
  // Start just after a window opens, so the whole flood falls in one.
  while (Date.now() % 1000 > 100) await new Promise((r) => setTimeout(r, 5));
  let allowed = 0;
  for (let i = 0; i < requests; i++) if ((await limiters[i % 2]?.check('flood'))?.allowed) allowed += 1;
  return { allowed, ...counts };
}

async function main(): Promise<void> {
  const memory = buildLimiters(configWith(1_000_000_000, 0)).get('tracking') as ClassLimiter;
  const lease = buildLeaseLimiters(configWith(1_000_000_000, 0), noLeases).limiters.get('tracking') as ClassLimiter;
  const memoryNs = await perCheck(memory);
  const leaseNs = await perCheck(lease);
  console.log(`memory limiter, one process:            ${memoryNs.toFixed(0)} ns CPU per check`);
  console.log(`lease limiter, within the share (no IPC): ${leaseNs.toFixed(0)} ns CPU per check`);
  const ipc = await perLease();
  console.log(`a lease over IPC: ${ipc.leaseUs.toFixed(1)} µs CPU in the worker, ${ipc.bothUs.toFixed(1)} µs in both processes`);
  const flood = await floodMessages(1000);
  console.log(`1000 requests in one window over 2 workers, default tracking rule (100 + 200 burst): ${flood.allowed} allowed, ${flood.leases} leases, ${flood.reclaims} reclaims`);
}

if (process.argv.includes('--ledger')) ledgerProcess();
else await main();
