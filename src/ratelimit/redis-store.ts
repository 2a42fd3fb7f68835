import { Redis } from 'ioredis';
import type { RateLimitEvents } from './events.js';

/**
 * The Redis connection behind shared limits. The offline queue is off and commands time out quickly, so while
 * Redis is down or stuck a request is never held waiting for it: the limiter's command fails at once and its
 * in-memory insurance limiter decides instead.
 */
export interface RedisStore {
  readonly client: Redis;
  /**
   * Resolves once the first connection attempt has settled (connected, refused, or `timeoutMs` passed); never
   * rejects. Awaited before listening, so a healthy Redis is in use from the first request.
   */
  settled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const COMMAND_TIMEOUT_MS = 250;

export function connectRedisStore(url: string, events: RateLimitEvents): RedisStore {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    // Reconnect forever, backing off to 2 s: the store is optional, the gateway keeps serving without it.
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  let up = false;
  client.on('ready', () => {
    up = true;
    events.storeAvailable({});
  });
  // ioredis emits 'error' for each failed (re)connect; report the outage once, not once per attempt.
  client.on('error', (err: Error) => {
    if (!up) return;
    up = false;
    events.storeUnavailable({}, { err: err.message });
  });
  client.on('close', () => {
    if (!up) return;
    up = false;
    events.storeUnavailable({}, { err: 'connection closed' });
  });
  return {
    client,
    settled: (timeoutMs = 2_000) =>
      new Promise<void>((resolve) => {
        if (client.status === 'ready') return resolve();
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          client.off('ready', done).off('error', done);
          resolve();
        }
        client.once('ready', done).once('error', done);
      }),
    close: async () => {
      up = false;
      client.removeAllListeners('close');
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}
