import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { ConfigSchema, type Config } from './schema.js';
import { ConfigError, type ConfigIssue } from '../config/errors.js';
import { substituteEnv } from '../config/env.js';
import { redactIssue, writeOnlyPaths, type RedactionContext } from '../config/secrets.js';
import { parseJson } from '../config/json.js';
import { crossChecks } from './cross-checks.js';
import { DURATION_PATTERN, SIZE_PATTERN } from '../config/units.js';

/** Reads, validates and freezes config.json. Throws ConfigError listing every problem. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  return readConfigFile(path, env).config;
}

/** A validated config and the SHA-256 of the file it came from (what `sha256sum config.json` prints). */
export interface LoadedConfig {
  readonly config: Readonly<Config>;
  readonly hash: string;
}

/** `loadConfigFile`, with the file's hash: a reload reports which file a process runs. */
export function readConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: '', message: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? err}` }]);
  }
  return { config: parseConfig(parseJson(text, path), path, env), hash: sha256(text) };
}

/** The hash of a config that came from no file (tests, programs embedding the gateway). */
export function configHashOf(config: Readonly<Config>): string {
  return sha256(JSON.stringify(config));
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Validates an already parsed config object (also used by tests and `validate`). */
export function parseConfig(raw: unknown, source = 'config', env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const issues: ConfigIssue[] = [];
  const fromEnv = new Set<string>();
  const substituted = substituteEnv(raw, env, issues, '', fromEnv);
  // Every issue goes out through here: none may show a value that could be a secret.
  const ctx: RedactionContext = { fromEnv, writeOnly: secretFields() };
  const fail = (list: ConfigIssue[]) => new ConfigError(source, list.map((i) => redactIssue(i, ctx)));
  if (typeof substituted !== 'object' || substituted === null || Array.isArray(substituted)) {
    throw fail([{ path: '', message: 'the configuration must be a JSON object', value: raw }]);
  }
  const withDefaults = Value.Default(ConfigSchema, Value.Clone(substituted));
  for (const e of Value.Errors(ConfigSchema, withDefaults)) {
    if (isNoise(e.message, e.path, issues)) continue;
    issues.push({ path: e.path, message: describe(e), value: e.value });
  }
  if (issues.length > 0) throw fail(issues);

  const config = Value.Decode(ConfigSchema, withDefaults);
  const cross = crossChecks(config);
  if (cross.length > 0) throw fail(cross);
  return deepFreeze(config);
}

let writeOnly: string[][] | undefined;
const secretFields = () => (writeOnly ??= writeOnlyPaths(ConfigSchema));

/** The defaults alone: what an empty `{}` config means. */
export function defaultConfig(): Readonly<Config> {
  return parseConfig({}, 'defaults', {});
}

type SchemaError = {
  message: string;
  path: string;
  schema: { pattern?: string; anyOf?: { const?: unknown }[] };
  value: unknown;
};

function describe(error: ValueError): string {
  const e = error as unknown as SchemaError;
  if (e.message.startsWith('Unexpected property')) return 'unknown key';
  const choices = e.schema.anyOf?.map((s) => s.const).filter((c) => c !== undefined);
  if (choices && choices.length > 0) return `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
  if (e.schema.pattern === DURATION_PATTERN) return 'must be a duration such as "500ms", "30s", "5m", "1h", "7d"';
  if (e.schema.pattern === SIZE_PATTERN) return 'must be a size such as "512KB", "1MB", "1GiB"';
  if (e.schema.pattern) return `must match ${e.schema.pattern}`;
  return e.message.replace(/^Expected/, 'expected');
}

/** TypeBox reports a union failure both for the union and its members; keep the first error per path. */
function isNoise(_message: string, path: string, issues: ConfigIssue[]): boolean {
  return issues.some((i) => i.path === path);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
