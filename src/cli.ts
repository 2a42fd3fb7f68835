#!/usr/bin/env node
import { readConfigFile } from './settings/load.js';
import { ConfigError } from './config/errors.js';
import { scrubSecrets } from './config/secrets.js';
import { commandUsage, parseCli, USAGE, UsageError, type CliArgs } from './cli/args.js';
import { COMMANDS } from './cli/commands.js';
import { packageVersion } from './cli/version.js';
import type { replay } from './cli/replay.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: readonly string[]): Promise<number> {
  const args = parseCli(argv);
  if (args.version) {
    out(packageVersion());
    return 0;
  }
  const [command, ...rest] = args.command;
  if (args.help) {
    out(command ? commandUsage(command) : USAGE);
    return 0;
  }
  if (!command) {
    err(USAGE);
    return 2;
  }
  try {
    return await run(command, rest, args);
  } catch (e) {
    // A command's own usage errors come with its help, not the overview.
    if (e instanceof UsageError && e.usage === undefined && command in COMMANDS) throw new UsageError(e.message, commandUsage(command));
    throw e;
  }
}

async function run(command: string, rest: string[], args: CliArgs): Promise<number> {
  const { config, hash } = readConfigFile(args.config);
  const opts = {
    ...(typeof args.values.admin === 'string' ? { admin: args.values.admin } : {}),
    ...(typeof args.values.host === 'string' ? { host: args.values.host } : {}),
    json: args.values.json === true,
  };
  // Each command's module is loaded on use: a command then loads only the drivers it needs (no cassandra-driver
  // or acme-client in a gateway that uses neither), which keeps start-up and memory small.
  switch (command) {
    case 'serve':
      return (await import('./cli/serve.js')).serve(config, packageVersion(), { file: args.config, hash });
    case 'consume':
      return (await import('./cli/consume.js')).consume(config);
    case 'validate':
      out(`config ${args.config}: ok`);
      return (await import('./cli/validate.js')).validate(config, out);
    case 'setup':
      if (rest[0] !== 'cassandra') throw new UsageError('setup needs a target: cassandra');
      return (await import('./cli/setup.js')).setupCassandra(config, out);
    case 'reload':
      return (await import('./cli/reload.js')).reload(config, opts, out);
    case 'links':
      return (await import('./cli/links.js')).links(config, rest, opts, out);
    case 'certs':
      return (await import('./cli/certs.js')).certs(config, opts, out);
    case 'replay':
      return runReplay(config, args.values);
    case 'redrive':
      return (await import('./cli/redrive.js')).redrive(config, progressIo());
    case 'events':
    case 'stats':
    case 'experiments':
    case 'forget':
    case 'export':
      return (await import('./cli/admin-commands.js')).adminCommand(command, config, args.values, out, err, rest);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

/** `replay` with a live progress line on a terminal (one line per page otherwise) and Ctrl-C to stop. */
async function runReplay(config: Parameters<typeof replay>[0], values: Record<string, string | boolean | undefined>): Promise<number> {
  const { replay } = await import('./cli/replay.js');
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
  return replay(
    config,
    { ...(str(values.destination) ? { destination: str(values.destination) } : {}), ...(str(values.since) ? { since: str(values.since) } : {}), ...(str(values.until) ? { until: str(values.until) } : {}) },
    { ...progressIo(), signal: abort.signal },
  );
}

/** Results on stdout; a progress line on stderr, rewritten in place on a terminal (one line each otherwise). */
function progressIo() {
  const tty = process.stderr.isTTY;
  return {
    out: (line: string) => {
      if (tty) process.stderr.write('\r\x1b[K');
      out(line);
    },
    progress: (line: string) => process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`),
  };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof ConfigError) err(e.message);
    else if (e instanceof UsageError) err(`${e.message}\n\n${e.usage ?? USAGE}`);
    // A start-up error can quote what it failed on (a URL, a file); values from the environment are taken out.
    else err(scrubSecrets(`error: ${(e as Error).message}`));
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
