import { backoffDelay } from '../lifecycle/backoff.js';

/** The redelivery wait after a failed write: `retryBackoff` doubled per delivery, at most a minute. */
export function redeliveryDelay(baseMs: number, deliveries: number): number {
  return backoffDelay({ minMs: baseMs, maxMs: 60_000 }, deliveries - 1);
}
