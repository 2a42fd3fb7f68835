/** Values taken from the environment, remembered so that any message printed later can be scrubbed of them. */

// Environment values shorter than this are not scrubbed from free text (they would match everywhere); the rules
// in secrets.ts still keep them out of config errors.
const MIN_SCRUBBED = 6;
// Each value as printed: raw, and as it appears inside a JSON string (a log line), when that differs.
const knownForms = new Set<string>();

/** Remembers a value taken from the environment, to be scrubbed from messages and log lines. */
export function rememberSecret(value: string): void {
  if (value.length < MIN_SCRUBBED) return;
  knownForms.add(value);
  knownForms.add(JSON.stringify(value).slice(1, -1));
}

/** `text` with every remembered environment value replaced (also in its JSON-escaped form). */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of knownForms) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}
