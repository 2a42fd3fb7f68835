import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { NOTHING_RETURNED, type LeaseRequest, type Returned } from '../ratelimit/index.js';
import { isProtocolMessage, type PrimaryMessage, type WorkerCall, type WorkerMessage } from './messages.js';
import type { WorkerEvents } from './events.js';
import { WORKER_COUNT_ENV, WORKER_INDEX_ENV } from './worker-config.js';
import { backoffDelay } from '../lifecycle/backoff.js';
import { servingExecArgv } from '../server/v8-tuning.js';

export interface SupervisorOptions {
  readonly count: number;
  readonly logger: Logger;
  readonly events: WorkerEvents;
  /** Answers a worker's call; the resolved value is its reply, a rejection an error reply. */
  readonly handle: (call: WorkerCall, slot: number) => Promise<unknown>;
  /** Restart delays: doubling from `minMs` up to `maxMs`; a worker that ran `stableMs` starts again from `minMs`. */
  readonly backoff?: { readonly minMs?: number; readonly maxMs?: number; readonly stableMs?: number };
}

export interface WorkerAddresses {
  readonly main: string;
  readonly https?: string;
}

interface Slot {
  readonly index: number;
  worker?: Worker;
  /** The worker has said it serves (its handlers for the primary's messages are in place). */
  ready: boolean;
  startedAt: number;
  failures: number;
  restart?: NodeJS.Timeout;
}

interface MetricsRequest {
  readonly results: unknown[][];
  pending: number;
  resolve(results: unknown[][]): void;
  reject(err: Error): void;
}

/**
 * Forks the worker processes (node:cluster; they share the listening ports), answers their calls, restarts
 * those that die (with backoff), and stops them in order: each finishes its requests and flushes its spool.
 */
export class Supervisor {
  private readonly slots: Slot[];
  private stopping = false;
  private nextMetricsId = 1;
  private readonly metricsRequests = new Map<number, MetricsRequest>();
  private nextReclaimId = 1;
  private readonly reclaims = new Map<number, (returned: Returned) => void>();
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly stableMs: number;

  constructor(private readonly options: SupervisorOptions) {
    this.slots = Array.from({ length: options.count }, (_, index) => ({ index, ready: false, startedAt: 0, failures: 0 }));
    this.minMs = options.backoff?.minMs ?? 100;
    this.maxMs = options.backoff?.maxMs ?? 30_000;
    this.stableMs = options.backoff?.stableMs ?? 30_000;
    // Structured clone on the channel: event batches travel as bytes, not as JSON arrays of numbers. Workers
    // get the V8 flags that only count at start (the young generation's size, server/v8-tuning.ts).
    cluster.setupPrimary({ serialization: 'advanced', execArgv: servingExecArgv(process.execArgv) });
  }

  /** Forks every worker; resolves when all serve. A worker that exits before it ever served fails the start. */
  start(): Promise<WorkerAddresses> {
    const ready = this.slots.map(
      (slot) =>
        new Promise<WorkerAddresses>((resolve, reject) => {
          const worker = this.fork(slot);
          const onMessage = (message: unknown) => {
            if (!isReady(message)) return;
            worker.off('exit', onExit);
            resolve({ main: message.main, ...(message.https ? { https: message.https } : {}) });
          };
          const onExit = (code: number | null, signal: string | null) => {
            worker.off('message', onMessage);
            reject(new Error(`worker ${slot.index} exited before it served (code ${code}, signal ${signal})`));
          };
          worker.on('message', onMessage);
          worker.once('exit', onExit);
        }),
    );
    return Promise.all(ready).then((addresses) => addresses[0] as WorkerAddresses);
  }

  /** Live workers' process ids, by slot. */
  pids(): number[] {
    return this.slots.flatMap((s) => (s.worker?.process.pid === undefined ? [] : [s.worker.process.pid]));
  }

  /** The workers that serve now (a worker still starting reads the config file itself). */
  readyWorkers(): { readonly index: number; readonly worker: Worker }[] {
    return this.slots.flatMap((s) => (s.ready && s.worker?.isConnected() ? [{ index: s.index, worker: s.worker }] : []));
  }

  broadcast(message: PrimaryMessage): void {
    for (const slot of this.slots) send(slot.worker, message);
  }

  /** Every live worker's metrics (`registry.getMetricsAsJSON()`); rejects when one does not answer in time. */
  collectMetrics(timeoutMs = 5_000): Promise<unknown[][]> {
    const workers = this.slots.flatMap((s) => (s.worker?.isConnected() ? [s.worker] : []));
    if (workers.length === 0) return Promise.resolve([]);
    const id = this.nextMetricsId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.metricsRequests.delete(id);
        reject(new Error(`a worker did not report its metrics within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = <T>(fn: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        this.metricsRequests.delete(id);
        fn(v);
      };
      this.metricsRequests.set(id, { results: [], pending: workers.length, resolve: done(resolve), reject: done(reject) });
      for (const worker of workers) send(worker, { gh: 'metrics', id });
    });
  }

  /**
   * Asks the worker of `slot` to give back the unspent part of a client's rate-limit window (see
   * ratelimit/lease-ledger.ts). A worker that is gone or does not answer in time gives back nothing: its tokens
   * stay spent, so a limit is never exceeded because of it.
   */
  reclaim(slot: number, request: LeaseRequest, timeoutMs = 1_000): Promise<Returned> {
    const worker = this.slots[slot]?.worker;
    if (!worker?.isConnected() || !this.slots[slot]?.ready) return Promise.resolve(NOTHING_RETURNED);
    const id = this.nextReclaimId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => answer(NOTHING_RETURNED), timeoutMs);
      const answer = (returned: Returned) => {
        clearTimeout(timer);
        this.reclaims.delete(id);
        resolve(returned);
      };
      this.reclaims.set(id, answer);
      send(worker, { gh: 'reclaim', id, request });
    });
  }

  /**
   * Asks every worker to shut down gracefully (finish in-flight requests, flush its spool) and waits for all
   * to exit; workers still running after `budgetMs` are killed (their spools keep what they accepted).
   */
  async stop(budgetMs: number): Promise<void> {
    this.stopping = true;
    const exits: Promise<void>[] = [];
    for (const slot of this.slots) {
      clearTimeout(slot.restart);
      const worker = slot.worker;
      if (!worker || worker.isDead()) continue;
      exits.push(new Promise((resolve) => worker.once('exit', () => resolve())));
      if (slot.ready) send(worker, { gh: 'shutdown' });
      // Still starting: a message now could arrive before it listens for one, and it would start serving anyway
      // (a shutdown that never ends). It is asked once it says it serves.
      else worker.on('message', (message: unknown) => isReady(message) && send(worker, { gh: 'shutdown' }));
    }
    const killer = setTimeout(() => {
      for (const slot of this.slots) {
        if (slot.worker && !slot.worker.isDead()) {
          this.options.logger.warn({ event: 'workerKilled', index: slot.index }, 'worker did not stop in time; killing it');
          slot.worker.process.kill('SIGKILL');
        }
      }
    }, budgetMs);
    await Promise.all(exits);
    clearTimeout(killer);
  }

  private fork(slot: Slot): Worker {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(slot.index), [WORKER_COUNT_ENV]: String(this.options.count) });
    slot.worker = worker;
    slot.ready = false;
    slot.startedAt = Date.now();
    this.options.events.started({}, { index: slot.index, pid: worker.process.pid });
    worker.on('message', (message: unknown) => this.receive(slot, worker, message));
    worker.once('exit', (code, signal) => this.exited(slot, worker, code, signal));
    return worker;
  }

  private receive(slot: Slot, worker: Worker, message: unknown): void {
    if (!isProtocolMessage(message)) return;
    const m = message as WorkerMessage;
    if (m.gh === 'ready') {
      if (slot.worker === worker) slot.ready = true;
      return;
    }
    // Answers to a reload are awaited by reloadWorkers (reload-workers.ts), which listens to the worker itself.
    if (m.gh === 'reloaded') return;
    if (m.gh === 'metrics') {
      const request = this.metricsRequests.get(m.id);
      if (!request) return;
      if (m.error !== undefined || !m.metrics) return request.reject(new Error(`worker ${slot.index}: ${m.error ?? 'no metrics'}`));
      request.results.push(m.metrics);
      if (--request.pending === 0) request.resolve(request.results);
      return;
    }
    if (m.gh === 'reclaimed') {
      this.reclaims.get(m.id)?.(m.returned);
      return;
    }
    this.options.handle(m, slot.index).then(
      (value) => send(worker, { gh: 'reply', id: m.id, ok: true, value }),
      (err: unknown) => send(worker, { gh: 'reply', id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker === worker) slot.worker = undefined;
    if (this.stopping) return;
    if (Date.now() - slot.startedAt >= this.stableMs) slot.failures = 0;
    const delay = backoffDelay({ minMs: this.minMs, maxMs: this.maxMs }, slot.failures);
    slot.failures += 1;
    this.options.events.exited({}, { index: slot.index, pid: worker.process.pid, code, signal, restartInMs: delay });
    slot.restart = setTimeout(() => {
      if (!this.stopping) this.fork(slot);
    }, delay);
  }
}

/** Sends to a worker if it is still connected; a worker that just died gets nothing (its spool replays). */
function send(worker: Worker | undefined, message: PrimaryMessage): void {
  if (!worker?.isConnected()) return;
  try {
    worker.send(message, undefined, () => undefined);
  } catch {
    // The channel closed between the check and the send: nothing to deliver to.
  }
}

function isReady(message: unknown): message is Extract<WorkerMessage, { gh: 'ready' }> {
  return isProtocolMessage(message) && (message as WorkerMessage).gh === 'ready';
}
