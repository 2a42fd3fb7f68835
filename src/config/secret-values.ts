/** Values taken from the environment, remembered so that any message printed later can be scrubbed of them. */

// Environment values shorter than this are not scrubbed from free text (they would match everywhere); the rules
// in secrets.ts still keep them out of config errors.
const MIN_SCRUBBED = 6;
const knownSecrets = new Set<string>();

/** Remembers a value taken from the environment, to be scrubbed from messages. */
export function rememberSecret(value: string): void {
  if (value.length >= MIN_SCRUBBED) knownSecrets.add(value);
}

/** `text` with every remembered environment value replaced. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}
