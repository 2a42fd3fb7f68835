import type { TSchema } from '@sinclair/typebox';
import type { ConfigIssue } from './errors.js';

export { rememberSecret, scrubSecrets } from './secret-values.js';

/**
 * What a config error may show of a value. An issue names its JSON path and says what is wrong; the value it got
 * is shown only when it cannot be a secret:
 * - never when it came from the environment (`${NAME}`, wholly or in part, at that path or inside it): whatever
 *   the key, misspelled or not, an environment value is where secrets are meant to live;
 * - never for a secret-typed field: a name that says so (token, pass, secret, salt, key, auth, headers, ...) or a
 *   field marked `writeOnly` in the schema (a URL that can carry a password);
 * - never for an unknown key (the value says nothing about what is wrong) or an object (it may hold any of these).
 * Values taken from the environment are also kept, so any message printed later can be scrubbed of them.
 */
const SECRET_NAME = /(pass|passwd|password|token|secret|salt|key|keys|creds|credentials|auth|authorization|cookie|headers)$/i;

/** The paths of `writeOnly` fields of a schema, "*" for an array item or a record entry. */
export function writeOnlyPaths(schema: TSchema, at: readonly string[] = [], out: string[][] = []): string[][] {
  if ((schema as { writeOnly?: boolean }).writeOnly) out.push([...at]);
  const s = schema as { properties?: Record<string, TSchema>; items?: TSchema; patternProperties?: Record<string, TSchema>; anyOf?: TSchema[] };
  for (const [name, sub] of Object.entries(s.properties ?? {})) writeOnlyPaths(sub, [...at, name], out);
  if (s.items && !Array.isArray(s.items)) writeOnlyPaths(s.items, [...at, '*'], out);
  for (const sub of Object.values(s.patternProperties ?? {})) writeOnlyPaths(sub, [...at, '*'], out);
  for (const sub of s.anyOf ?? []) writeOnlyPaths(sub, at, out);
  return out;
}

export interface RedactionContext {
  /** JSON paths whose string took a value from the environment. */
  readonly fromEnv: ReadonlySet<string>;
  readonly writeOnly: readonly string[][];
}

/** The issue without its value when the value may be a secret (see above). */
export function redactIssue(issue: ConfigIssue, ctx: RedactionContext): ConfigIssue {
  if (issue.value === undefined || showable(issue, ctx)) return issue;
  return { path: issue.path, message: issue.message };
}

function showable(issue: ConfigIssue, ctx: RedactionContext): boolean {
  const v = issue.value;
  const primitive = (x: unknown) => x === null || ['string', 'number', 'boolean'].includes(typeof x);
  if (!(primitive(v) || (Array.isArray(v) && v.every(primitive)))) return false;
  if (issue.message === 'unknown key') return false;
  const segments = split(issue.path);
  if (segments.some((s) => SECRET_NAME.test(s))) return false;
  for (const env of ctx.fromEnv) if (related(segments, split(env))) return false;
  return !ctx.writeOnly.some((pattern) => related(segments, pattern));
}

/** Whether one path lies within the other (either way); "*" in either matches any one segment. */
function related(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i] && a[i] !== '*' && b[i] !== '*') return false;
  }
  return true;
}

function split(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? '*' : s.replace(/~1/g, '/').replace(/~0/g, '~')));
}
