import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { EVENT_COLUMNS } from '../sinks/event-columns.js';
import type { TrackEvent } from '../track/event.js';

const COLUMNS = EVENT_COLUMNS.map((c) => c.name);

/**
 * Writes events to a new file as ndjson (one JSON object a line) or csv (a header, then one row an event, a
 * column per field, params as JSON), waiting on the disk so memory stays flat however long the range.
 * Resolves with the rows written. The exports of stores that cannot COPY (Cassandra) go through here.
 */
export async function writeEventsFile(events: AsyncIterable<TrackEvent>, format: 'ndjson' | 'csv', path: string): Promise<number> {
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  const write = async (chunk: string) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  let rows = 0;
  try {
    if (format === 'csv') await write(csvLine(COLUMNS));
    for await (const event of events) {
      await write(format === 'csv' ? csvLine(COLUMNS.map((c) => cell((event as unknown as Record<string, unknown>)[c]))) : `${JSON.stringify(event)}\n`);
      rows++;
    }
    out.end();
    await finished(out);
    return rows;
  } catch (err) {
    out.destroy();
    throw err;
  }
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(quote).join(',')}\n`;
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** RFC 4180: quoted when it holds a comma, quote or line break (and when it has edge spaces, kept as sent). */
function quote(s: string): string {
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
