import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import type { AdminClient } from './admin-client.js';
import { queryOf } from './admin-client.js';
import { UsageError } from './args.js';

type Out = (line: string) => void;

const FORMATS = ['parquet', 'ndjson', 'csv'];
const PROGRESS_EVERY = 8 * 1024 * 1024;
const WAITING_EVERY_MS = 10_000;

/**
 * `gatehouse export --since T --until T --format parquet|ndjson|csv --out PATH`: the gateway writes the file with
 * DuckDB and streams it; this writes it to PATH (through PATH.part, renamed when complete, so a cut export never
 * looks finished). Progress lines go to `progress` (stderr in the CLI): one when the gateway starts writing, one
 * every 10 s while it does, then one every 8 MB received; the summary goes to `out`.
 */
export async function exportEvents(
  client: AdminClient,
  opts: { since?: string; until?: string; format?: string; out?: string },
  out: Out,
  progress: Out = out,
): Promise<number> {
  const format = opts.format ?? 'parquet';
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  if (!opts.out) throw new UsageError('export needs --out PATH');
  // The gateway writes the whole file before it answers (a large range takes minutes): say so, and that it goes on.
  progress(`export: the gateway is writing the ${format} file`);
  const started = Date.now();
  const waiting = setInterval(() => progress(`export: the gateway is still writing the file (${Math.round((Date.now() - started) / 1000)} s)`), WAITING_EVERY_MS);
  const res = await client.raw(`/admin/export${queryOf({ since: opts.since, until: opts.until, format })}`).finally(() => clearInterval(waiting));
  const rows = Number(res.headers.get('x-gatehouse-rows') ?? 0);
  const total = Number(res.headers.get('content-length') ?? 0);
  const part = `${opts.out}.part`;
  const file = createWriteStream(part);
  let bytes = 0;
  let next = PROGRESS_EVERY;
  try {
    for await (const chunk of res.body ?? []) {
      const buf = chunk as Uint8Array;
      bytes += buf.length;
      if (!file.write(buf)) await once(file, 'drain');
      if (bytes >= next && total > 0) {
        next += PROGRESS_EVERY;
        progress(`export: ~${fmt(Math.floor((rows * bytes) / total))} of ${fmt(rows)} rows written (${mb(bytes)} of ${mb(total)})`);
      }
    }
    if (total > 0 && bytes !== total) throw new Error(`export cut short: ${bytes} of ${total} bytes received`);
    file.end();
    await once(file, 'close');
    await rename(part, opts.out);
  } catch (err) {
    file.destroy();
    await rm(part, { force: true });
    throw err;
  }
  out(`exported ${fmt(rows)} events to ${opts.out} (${format}, ${mb(bytes)})`);
  return 0;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
