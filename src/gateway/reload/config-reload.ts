import { Gauge } from 'prom-client';
import type { Config } from '../../settings/schema.js';
import { readConfigFile, type LoadedConfig } from '../../settings/load.js';
import { configChanges } from '../../settings/live-keys.js';
import { ConfigError } from '../../config/errors.js';
import { tlsFileChecks } from '../../tls/cross-checks.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { ConfigRefusedError } from './reload-errors.js';

/** What a reload did: the hash of the config now running and the keys that changed. */
export interface ReloadOutcome {
  readonly hash: string;
  readonly changed: readonly string[];
  /** With `server.workers` > 1: how many workers applied it (all of them, or the reload failed). */
  readonly workers?: number;
}

/**
 * Reads config.json again and checks it as `gatehouse validate` does before it listens on anything: the schema and
 * cross-checks (every problem, with its path) and the certificate files. Throws ConfigError.
 */
export function loadForReload(path: string): LoadedConfig {
  const loaded = readConfigFile(path);
  const issues = loaded.config.tls.enabled ? tlsFileChecks(loaded.config.tls) : [];
  if (issues.length > 0) throw new ConfigError(path, issues);
  return loaded;
}

export interface ReloadSteps {
  /** Reads and validates the config file again (throws ConfigError). */
  readonly load: () => LoadedConfig;
  readonly current: () => Readonly<Config>;
  /** Builds what the new config needs and swaps it in; throws, changing nothing, when a part cannot be built. */
  readonly apply: (next: LoadedConfig, changed: readonly string[]) => Promise<number | undefined>;
}

/**
 * One reload: load and validate, refuse keys that cannot change live (naming them), apply. Reloads run one at a
 * time; each is logged and counted (`configReloaded`, `configReloadFailed{reason}`), and `gatehouse_config_info`
 * carries the hash of the config running.
 */
export function createReloader(telemetry: Telemetry, initialHash: string, steps: ReloadSteps) {
  const events = reloadEvents(telemetry);
  events.running(initialHash);
  let hash = initialHash;
  let queue: Promise<unknown> = Promise.resolve();

  const once = async (given?: LoadedConfig): Promise<ReloadOutcome> => {
    try {
      const next = given ?? steps.load();
      const { changed, frozen } = configChanges(steps.current(), next.config);
      if (frozen.length > 0) throw new ConfigRefusedError(frozen);
      const workers = await steps.apply(next, changed);
      events.reloaded({}, { hash: next.hash, previousHash: hash, changed, ...(workers === undefined ? {} : { workers }) });
      events.running(next.hash);
      hash = next.hash;
      return { hash, changed, ...(workers === undefined ? {} : { workers }) };
    } catch (err) {
      events.failed({ reason: reasonOf(err) }, { error: (err as Error).message, runningHash: hash });
      throw err;
    }
  };
  return {
    /** The hash of the running config. */
    get hash(): string {
      return hash;
    },
    /** Applies `next` when given (a worker gets it from the primary), else what `load` reads. */
    reload(next?: LoadedConfig): Promise<ReloadOutcome> {
      return this.exclusive(() => once(next));
    },
    /** Runs `task` between reloads, never during one (it sees a settled running config). */
    exclusive<T>(task: () => Promise<T>): Promise<T> {
      const run = queue.then(task);
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

export type Reloader = ReturnType<typeof createReloader>;

function reasonOf(err: unknown): 'invalid' | 'refused' | 'failed' {
  if (err instanceof ConfigError) return 'invalid';
  if (err instanceof ConfigRefusedError) return 'refused';
  return 'failed';
}

const INFO_METRIC = 'gatehouse_config_info';

function reloadEvents(telemetry: Telemetry) {
  // With workers the primary merges their registries: the hashes running anywhere show, each with value 1.
  const info =
    (telemetry.registry.getSingleMetric(INFO_METRIC) as Gauge<'hash'> | undefined) ??
    new Gauge({ name: INFO_METRIC, help: 'The config running: 1, labelled with the SHA-256 of its file.', labelNames: ['hash'], aggregator: 'max', registers: [telemetry.registry] });
  return {
    reloaded: telemetry.event('configReloaded', 'Config reloads applied (SIGHUP, `gatehouse reload`, POST /admin/config/reload).', 'info'),
    failed: telemetry.event('configReloadFailed', 'Config reloads that changed nothing: invalid file, keys that cannot change live, or a part that could not be built.', 'warn', ['reason']),
    running(hash: string) {
      info.reset();
      info.set({ hash }, 1);
    },
  };
}
