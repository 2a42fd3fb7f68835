import type { ConfigIssue } from './errors.js';
import { rememberSecret } from './secrets.js';

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `${NAME}` in every string with the environment variable NAME, so secrets stay out of config.json.
 * A missing variable is an issue at its JSON path. The paths that took a value from the environment are added to
 * `fromEnv`, and the values remembered: neither is ever echoed in an error (see secrets.ts).
 */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, issues: ConfigIssue[], path = '', fromEnv?: Set<string>): unknown {
  if (typeof value === 'string') {
    return value.replace(REF, (_, name: string) => {
      const v = env[name];
      if (v === undefined) {
        issues.push({ path, message: `environment variable ${name} is not set` });
        return '';
      }
      fromEnv?.add(path);
      rememberSecret(v);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, issues, `${path}/${i}`, fromEnv));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, issues, `${path}/${escapePointer(k)}`, fromEnv)]),
    );
  }
  return value;
}

export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
