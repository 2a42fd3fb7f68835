import { createRequire } from 'node:module';

type Undici = typeof import('undici');

const require = createRequire(import.meta.url);
let loaded: Undici | undefined;

/**
 * undici, loaded on first use. The proxy's forwarders, health checks, experiment backends and on-demand TLS use it;
 * a gateway with none of them configured never loads it (about 4.5 MB of a process's memory, bench/HISTORY.md).
 * undici is CommonJS, so this is the instance an `import` would give.
 */
export function undici(): Undici {
  return (loaded ??= require('undici') as Undici);
}
