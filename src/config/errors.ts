import { scrubSecrets } from './secret-values.js';

/** One problem in the configuration, at a JSON path such as `/server/listen/port`. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
  readonly value?: unknown;
}

/** Every problem found, reported at once. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    // Scrubbed as well: a message built from a value (a file name, a host) must not carry an environment secret.
    super(scrubSecrets(`${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${issues.map(formatIssue).join('\n')}`));
    this.name = 'ConfigError';
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const value = issue.value === undefined ? '' : ` (got ${truncate(JSON.stringify(issue.value))})`;
  return `  ${issue.path || '/'}: ${issue.message}${value}`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
