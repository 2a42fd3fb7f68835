#!/usr/bin/env node
import { loadConfigFile } from './config/load.js';
import { ConfigError } from './config/errors.js';
import { parseCli, USAGE, UsageError } from './cli/args.js';
import { packageVersion } from './cli/version.js';
import { serve } from './cli/serve.js';
import { consume } from './cli/consume.js';
import { validate } from './cli/validate.js';
import { links } from './cli/links.js';
import { setupCassandra } from './cli/setup.js';
import { certs } from './cli/certs.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: readonly string[]): Promise<number> {
  const args = parseCli(argv);
  if (args.version) {
    out(packageVersion());
    return 0;
  }
  const [command, ...rest] = args.command;
  if (args.help || !command) {
    (command || args.help ? out : err)(USAGE);
    return args.help ? 0 : 2;
  }
  const config = loadConfigFile(args.config);
  const opts = {
    ...(typeof args.values.admin === 'string' ? { admin: args.values.admin } : {}),
    ...(typeof args.values.host === 'string' ? { host: args.values.host } : {}),
    json: args.values.json === true,
  };
  switch (command) {
    case 'serve':
      return serve(config, packageVersion());
    case 'consume':
      return consume(config);
    case 'validate':
      out(`config ${args.config}: ok`);
      return validate(config, out);
    case 'setup':
      if (rest[0] !== 'cassandra') throw new UsageError('setup needs a target: cassandra');
      return setupCassandra(config, out);
    case 'links':
      return links(config, rest, opts, out);
    case 'certs':
      return certs(config, opts, out);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof ConfigError) err(e.message);
    else if (e instanceof UsageError) err(`${e.message}\n\n${USAGE}`);
    else err(`error: ${(e as Error).message}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
