import type { ParseArgsConfig } from 'node:util';

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string];

/** Every option any command takes, with its help text; each command names the ones it accepts. */
export const OPTIONS = {
  config: { spec: { type: 'string', short: 'c' }, help: '-c, --config PATH        config file (default: $GATEHOUSE_CONFIG or ./config.json)' },
  help: { spec: { type: 'boolean', short: 'h' }, help: '-h, --help               show this help' },
  version: { spec: { type: 'boolean', short: 'v' }, help: '-v, --version            show the version' },
  admin: { spec: { type: 'string' }, help: '    --admin URL          admin API of the running gateway (default: from the config)' },
  json: { spec: { type: 'boolean' }, help: '    --json               machine-readable output' },
  host: { spec: { type: 'string' }, help: '    --host HOST          bind the short link to one site' },
  destination: { spec: { type: 'string' }, help: '    --destination NAME   the destination to re-send to' },
  follow: { spec: { type: 'boolean', short: 'f' }, help: '-f, --follow             keep printing new events as they arrive' },
  ename: { spec: { type: 'string' }, help: '    --ename X            only events named X' },
  etyp: { spec: { type: 'string' }, help: '    --etyp X             only events of type X' },
  vid: { spec: { type: 'string' }, help: '    --vid ID             one visitor' },
  uid: { spec: { type: 'string' }, help: '    --uid ID             one user' },
  url: { spec: { type: 'string' }, help: '    --url U              only events on page U' },
  since: { spec: { type: 'string' }, help: '    --since T            from T: ISO 8601, or a duration ago (24h, 7d)' },
  until: { spec: { type: 'string' }, help: '    --until T            up to T: ISO 8601, or a duration ago' },
  limit: { spec: { type: 'string' }, help: '    --limit N            at most N events' },
  format: { spec: { type: 'string' }, help: '    --format F           parquet (default), ndjson or csv' },
  out: { spec: { type: 'string', short: 'o' }, help: '-o, --out PATH           the file to write' },
} satisfies Record<string, { spec: OptionSpec; help: string }>;

export type OptionName = keyof typeof OPTIONS;

/** Taken by every command. */
export const GLOBAL_OPTIONS: readonly OptionName[] = ['config', 'help', 'version'];

export interface CommandSpec {
  /** The usage lines shown in the overview and in the command's own help. */
  readonly usage: readonly string[];
  readonly options: readonly OptionName[];
}

const FILTERS: readonly OptionName[] = ['ename', 'etyp', 'vid', 'uid', 'url', 'since', 'until'];

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  serve: { usage: ['serve                    run the gateway (the default pipeline when no NATS is configured)'], options: [] },
  consume: { usage: ['consume                  run the consumer: JetStream → sinks (Cassandra, DuckDB)'], options: [] },
  validate: { usage: ['validate                 check the config and the health of the bus and sinks; listens on nothing'], options: [] },
  reload: {
    usage: ['reload                   make the running gateway read its config file again (as SIGHUP); nothing changes if it is invalid'],
    options: ['admin', 'json'],
  },
  setup: { usage: ['setup cassandra          create the Cassandra keyspace and tables (setup/schema.cql)'], options: [] },
  links: {
    usage: [
      'links add SLUG URL       create or replace a short link (--host HOST to bind it to one site)',
      'links list               list short links',
      'links rm SLUG            delete a short link',
      'links sign URL           print a signed tracked-redirect link for URL',
    ],
    options: ['host', 'admin', 'json'],
  },
  certs: { usage: ['certs                    list TLS certificates: names, issuer, expiry'], options: ['admin', 'json'] },
  replay: {
    usage: [
      'replay --destination NAME --since TIME [--until TIME]',
      '                         re-send stored events to one destination (TIME: ISO 8601, or "24h" for 24 hours ago)',
    ],
    options: ['destination', 'since', 'until'],
  },
  redrive: {
    usage: [
      'redrive                  send dead letters back once their cause is fixed (NATS: the dead-letter subject,',
      '                         gateway running; embedded: <spool.dir>/dead-letter.jsonl into the stores, gateway stopped)',
    ],
    options: [],
  },
  events: {
    usage: [
      'events [--follow]        print stored events as JSON lines, newest first (--follow: the live tail)',
      '                         filters: --ename X --etyp X --vid ID --uid ID --url U --since T --until T --limit N',
    ],
    options: ['follow', ...FILTERS, 'limit', 'admin'],
  },
  stats: { usage: ['stats [--since T]        a summary of traffic (default: the last 7 days; T is ISO 8601 or 24h, 7d)'], options: ['since', 'until', 'admin', 'json'] },
  forget: { usage: ['forget --vid ID|--uid ID erase one person\'s events from every store that supports deletion'], options: ['vid', 'uid', 'admin', 'json'] },
  experiments: { usage: ['experiments [NAME]       results of the experiments (or one): units, conversions, intervals, lift, p-values'], options: ['admin', 'json'] },
  export: { usage: ['export --out PATH        write events to a file: --format parquet|ndjson|csv --since T --until T'], options: ['out', 'format', 'since', 'until', 'admin'] },
};

const optionLines = (names: readonly OptionName[]) => names.map((n) => `  ${OPTIONS[n].help}`).join('\n');

export const USAGE = `gatehouse: self-hosted edge server with built-in event tracking

Usage: gatehouse <command> [options]     gatehouse <command> --help for a command's options

Commands:
${Object.values(COMMANDS).flatMap((c) => c.usage.map((line) => `  ${line}`)).join('\n')}

Options:
${optionLines(GLOBAL_OPTIONS)}
`;

/** One command's own help: its usage and exactly the options it accepts. */
export function commandUsage(name: string): string {
  const spec = COMMANDS[name];
  if (!spec) return USAGE;
  return `Usage: gatehouse ${spec.usage.map((line, i) => (i === 0 ? line : `          ${line}`)).join('\n')}

Options:
${optionLines([...spec.options, ...GLOBAL_OPTIONS])}
`;
}
