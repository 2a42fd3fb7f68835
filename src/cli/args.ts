import { parseArgs } from 'node:util';

export interface CliArgs {
  readonly command: string[];
  readonly config: string;
  readonly help: boolean;
  readonly version: boolean;
  readonly values: Record<string, string | boolean | undefined>;
}

export class UsageError extends Error {
  readonly code = 'USAGE';
}

/** Global flags (`--config`, `--help`, `--version`) and per-command options, parsed strictly. */
export function parseCli(argv: readonly string[]): CliArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        host: { type: 'string' },
        admin: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    return {
      command: positionals,
      config: values.config ?? process.env.GATEHOUSE_CONFIG ?? 'config.json',
      help: values.help ?? false,
      version: values.version ?? false,
      values,
    };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const USAGE = `gatehouse: self-hosted edge server with built-in event tracking

Usage: gatehouse <command> [--config PATH]

Commands:
  serve                    run the gateway (the default pipeline when no NATS is configured)
  consume                  run the consumer: JetStream → sinks (Cassandra, DuckDB)
  validate                 check the config and the health of the bus and sinks; listens on nothing
  setup cassandra          create the Cassandra keyspace and tables (setup/schema.cql)
  links add SLUG URL       create or replace a short link (--host HOST to bind it to one site)
  links list               list short links
  links rm SLUG            delete a short link
  links sign URL           print a signed tracked-redirect link for URL
  certs                    list TLS certificates: names, issuer, expiry

Options:
  -c, --config PATH        config file (default: $GATEHOUSE_CONFIG or ./config.json)
      --admin URL          admin API of the running gateway (default: from the config)
      --json               machine-readable output
  -h, --help               show this help
  -v, --version            show the version
`;
