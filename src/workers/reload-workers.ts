import type { Worker } from 'node:cluster';
import type { LoadedConfig } from '../settings/load.js';
import { ConfigReloadFailedError } from '../gateway/reload/reload-errors.js';
import { isProtocolMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

/** How long a worker gets to build and swap in the new config. */
export const WORKER_RELOAD_TIMEOUT_MS = 30_000;

let nextId = 1;

/**
 * Sends a config the primary has validated to every serving worker and waits until each has swapped it in.
 * Resolves with the number of workers; rejects naming each worker that refused, failed, exited or did not answer
 * (those keep their config; the same reload sent again applies it to them, and is a no-op for the others).
 */
export async function reloadWorkers(
  workers: readonly { readonly index: number; readonly worker: Worker }[],
  next: LoadedConfig,
  timeoutMs = WORKER_RELOAD_TIMEOUT_MS,
): Promise<number> {
  const id = nextId++;
  const message: PrimaryMessage = { gh: 'reload', id, config: next.config, hash: next.hash };
  const failures = await Promise.all(workers.map(({ index, worker }) => ask(worker, index, id, message, timeoutMs)));
  const failed = failures.filter((f): f is string => f !== undefined);
  if (failed.length > 0) throw new ConfigReloadFailedError(`${failed.length} of ${workers.length} workers did not apply the config: ${failed.join('; ')}`);
  return workers.length;
}

function ask(worker: Worker, index: number, id: number, message: PrimaryMessage, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const done = (failure?: string) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(failure);
    };
    const onMessage = (m: unknown) => {
      if (!isProtocolMessage(m)) return;
      const reply = m as WorkerMessage;
      if (reply.gh === 'reloaded' && reply.id === id) done(reply.error === undefined ? undefined : `worker ${index}: ${reply.error}`);
    };
    const onExit = () => done(`worker ${index} exited`);
    const timer = setTimeout(() => done(`worker ${index} did not answer within ${timeoutMs} ms`), timeoutMs);
    worker.on('message', onMessage);
    worker.once('exit', onExit);
    try {
      worker.send(message, undefined, (err: Error | null) => err && done(`worker ${index}: ${err.message}`));
    } catch (err) {
      done(`worker ${index}: ${(err as Error).message}`);
    }
  });
}
