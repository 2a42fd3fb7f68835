import { parseArgs, type ParseArgsConfig } from 'node:util';
import { COMMANDS, GLOBAL_OPTIONS, OPTIONS, commandUsage, type OptionName } from './commands.js';

export { USAGE, commandUsage } from './commands.js';

export interface CliArgs {
  readonly command: string[];
  readonly config: string;
  readonly help: boolean;
  readonly version: boolean;
  readonly values: Record<string, string | boolean | undefined>;
}

/** A command line the CLI cannot run; `usage` is the help to print with it (the command's, once it is known). */
export class UsageError extends Error {
  readonly code = 'USAGE';
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

const specs = (names: readonly OptionName[]): NonNullable<ParseArgsConfig['options']> =>
  Object.fromEntries(names.map((n) => [n, OPTIONS[n].spec]));

/**
 * Global flags (`--config`, `--help`, `--version`) and the command's own options, parsed strictly: an option the
 * command does not take (`serve --ename x`) is a usage error naming it, not silently ignored. A first, lenient pass
 * over every known option finds the command, so option values are never mistaken for it.
 */
export function parseCli(argv: readonly string[]): CliArgs {
  const all = Object.keys(OPTIONS) as OptionName[];
  const first = parseArgs({ args: [...argv], allowPositionals: true, strict: false, options: specs(all) });
  const name = first.positionals[0];
  const command = name === undefined ? undefined : COMMANDS[name];
  const allowed = command ? [...GLOBAL_OPTIONS, ...command.options] : name === undefined ? [...GLOBAL_OPTIONS] : all;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: specs(allowed) });
    return {
      command: positionals,
      config: (values.config as string | undefined) ?? process.env.GATEHOUSE_CONFIG ?? 'config.json',
      help: values.help === true,
      version: values.version === true,
      // Every option is declared without `multiple`, so no value is an array.
      values: values as Record<string, string | boolean | undefined>,
    };
  } catch (err) {
    const message = (err as Error).message;
    throw new UsageError(name && command ? `${name}: ${message}` : message, commandUsage(name ?? ''));
  }
}
