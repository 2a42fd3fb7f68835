import { randomBytes } from 'node:crypto';

/**
 * The configured salt, or, when none is configured, a random one for the life of the process. A random salt keeps
 * hashes unlinkable to anyone without it; the cost (documented in config) is that hashes do not join across restarts.
 */
let processSalt: string | undefined;

export function resolveSalt(configured: string): string {
  if (configured !== '') return configured;
  processSalt ??= randomBytes(32).toString('hex');
  return processSalt;
}
