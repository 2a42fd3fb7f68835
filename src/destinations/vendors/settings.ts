import type { DeliverySettings } from '../destination.js';

/** The delivery settings out of a destination's config. */
export function settingsOf(config: DeliverySettings): DeliverySettings {
  const { batchSize, batchWait, timeout, retryMin, retryMax, maxAttempts, match } = config;
  return { batchSize, batchWait, timeout, retryMin, retryMax, maxAttempts, match };
}
