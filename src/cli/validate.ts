import type { Config } from '../settings/schema.js';
import { createLogger } from '../telemetry/logger.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { createBus } from '../bus/index.js';
import { buildStores } from '../gateway/stores.js';
import type { Health } from '../lifecycle/health.js';
import { tlsFileChecks } from '../tls/cross-checks.js';

/**
 * `gatehouse validate`: the config loaded (the caller did that) — now the health of the configured bus and
 * sinks, started and closed again. Listens on nothing. Exit 0 when all are up.
 */
export async function validate(config: Readonly<Config>, out: (line: string) => void): Promise<number> {
  let failed = 0;
  // Certificate files are read here, not at load: a config can be checked on a machine without them.
  for (const issue of config.tls.enabled ? tlsFileChecks(config.tls) : []) {
    failed++;
    out(`FAIL  ${issue.path}: ${issue.message}`);
  }
  const telemetry = new Telemetry(createLogger('silent'), { defaultMetrics: false });
  const components = [
    { name: `bus (${config.bus.kind})`, c: createBus({ config: config.bus, telemetry }) },
    ...(await buildStores(config, telemetry)).sinks.map((s) => ({ name: `sink ${s.name}`, c: s })),
  ];
  for (const { name, c } of components) {
    let health: Health;
    try {
      await withTimeout(c.start(), 15_000, `${name} did not start within 15s`);
      health = await c.healthcheck();
    } catch (err) {
      health = { status: 'down', reason: (err as Error).message };
    } finally {
      await c.close().catch(() => undefined);
    }
    if (health.status === 'up') out(`ok    ${name}${health.detail ? `: ${health.detail}` : ''}`);
    else {
      failed++;
      out(`FAIL  ${name}: ${health.reason}`);
    }
  }
  out(failed === 0 ? 'config is valid and every dependency is healthy' : `${failed} problem${failed === 1 ? '' : 's'} found`);
  return failed === 0 ? 0 : 1;
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(t));
}
