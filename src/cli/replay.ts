import { join } from 'node:path';
import type { Config } from '../settings/schema.js';
import { parseDuration } from '../config/units.js';
import { buildDestinations } from '../destinations/build.js';
import { deadLetterFile } from '../destinations/dead-letter-file.js';
import { storeHistory } from '../destinations/replay/duckdb-source.js';
import { streamHistory } from '../destinations/replay/nats-source.js';
import { ReplayError, replayEvents, type ReplayProgress } from '../destinations/replay/replay.js';

export interface ReplayArgs {
  readonly destination?: string;
  readonly since?: string;
  readonly until?: string;
}

export interface ReplayIo {
  out(line: string): void;
  /** The progress line, rewritten in place on a terminal. */
  progress(line: string): void;
  readonly signal?: AbortSignal;
}

/**
 * `gatehouse replay --destination NAME --since TIME [--until TIME]`: re-sends history to one destination.
 * With NATS it reads the stream from TIME with an ephemeral consumer (the gateway and consumers keep running);
 * in embedded mode it reads the DuckDB file directly, which needs the gateway stopped (DuckDB locks the file).
 */
export async function replay(config: Readonly<Config>, args: ReplayArgs, io: ReplayIo): Promise<number> {
  const destinations = buildDestinations(config.destinations);
  const destination = destinations.find((d) => d.name === args.destination);
  if (!destination) {
    const names = destinations.map((d) => d.name).join(', ') || 'none configured';
    throw new ReplayError('UNKNOWN_DESTINATION', `--destination must name an enabled destination (${names})`);
  }
  const since = parseTime('--since', args.since);
  const until = args.until === undefined ? undefined : parseTime('--until', args.until);
  const line = (p: Readonly<ReplayProgress>) =>
    `replay ${destination.name}: read ${p.read}${p.total !== undefined ? `/${p.total}` : ''}, sent ${p.sent}, skipped ${p.skipped} (rules), failed ${p.failed}`;

  const nats = config.bus.kind === 'nats' ? await streamHistory(config.bus.nats, since, until) : undefined;
  const source = nats ?? (await storeHistory(config.sinks.duckdb.path, since, until));
  const file =
    config.bus.kind === 'nats'
      ? undefined
      : deadLetterFile(join(config.destinations.dir || join(config.spool.dir, 'destinations'), destination.name, 'dead-letter.jsonl'));
  try {
    const result = await replayEvents({
      destination,
      pages: source.pages,
      total: source.total,
      ...(io.signal ? { signal: io.signal } : {}),
      onProgress: (p) => io.progress(line(p)),
      deadLetter: async (event, reason) => {
        if (file) await file.append({ at: new Date().toISOString(), destination: destination.name, id: event.eid, reason, event });
        else if (nats) await nats.deadLetter(event, reason, destination.name);
      },
    });
    io.out(`${line(result)}; done`);
    return result.failed > 0 ? 1 : 0;
  } finally {
    await file?.close();
    await source.close();
  }
}

/** An ISO 8601 time, or a duration ("90m", "7d") meaning that long ago. */
export function parseTime(flag: string, value: string | undefined, now = Date.now()): Date {
  if (!value) throw new ReplayError('INVALID_TIME', `${flag} is required (an ISO 8601 time, or a duration such as "24h" for 24 hours ago)`);
  if (/^\d+(ms|s|m|h|d)$/.test(value)) return new Date(now - parseDuration(value));
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ReplayError('INVALID_TIME', `${flag} ${JSON.stringify(value)} is neither an ISO 8601 time nor a duration`);
  return new Date(ms);
}
