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
        destination: { type: 'string' },
        // events, stats, forget, export (src/cli/admin-*.ts)
        follow: { type: 'boolean', short: 'f' },
        ename: { type: 'string' },
        etyp: { type: 'string' },
        vid: { type: 'string' },
        uid: { type: 'string' },
        url: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        limit: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string', short: 'o' },
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
  replay --destination NAME --since TIME [--until TIME]
                           re-send stored events to one destination (TIME: ISO 8601, or "24h" for 24 hours ago)
  redrive                  send dead letters back once their cause is fixed (NATS: the dead-letter subject,
                           gateway running; embedded: <spool.dir>/dead-letter.jsonl into the stores, gateway stopped)
  events [--follow]        print stored events as JSON lines, newest first (--follow: the live tail)
                           filters: --ename X --etyp X --vid ID --uid ID --url U --since T --until T --limit N
  stats [--since T]        a summary of traffic (default: the last 7 days; T is ISO 8601 or 24h, 7d)
  forget --vid ID|--uid ID erase one person's events from every store that supports deletion
  export --out PATH        write events to a file: --format parquet|ndjson|csv --since T --until T

Options:
  -c, --config PATH        config file (default: $GATEHOUSE_CONFIG or ./config.json)
      --admin URL          admin API of the running gateway (default: from the config)
      --json               machine-readable output
  -h, --help               show this help
  -v, --version            show the version
`;
