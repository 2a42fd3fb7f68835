import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../server/errors.js';
import { EXPORT_FORMATS, type ExportFormat } from '../sinks/duckdb/export-formats.js';
import type { AdminStore } from './admin-store.js';
import { storeWith } from './admin-stores.js';
import type { AdminDataDeps } from './deps.js';
import { asClientError, unsupported, unsupportedBy } from './errors.js';
import { text, time } from './query.js';

export const ROWS_HEADER = 'x-gatehouse-rows';

const TYPES: Record<ExportFormat, string> = {
  parquet: 'application/vnd.apache.parquet',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};

/**
 * `GET /admin/export?since&until&format=parquet|ndjson|csv`: the events of a range, oldest first, as a file in
 * the response body. The store writes it to a private temp dir of the gateway host (DuckDB with COPY,
 * Cassandra by paged reads of events_by_day, ndjson or csv only), then it is streamed and deleted: the caller
 * (`gatehouse export`) writes it where it runs, and no client ever names a path on the gateway's host. The
 * row count is in `X-Gatehouse-Rows`, the size in Content-Length (for progress).
 */
export async function exportRoute(app: FastifyInstance, deps: AdminDataDeps, stores: readonly AdminStore[]): Promise<void> {
  app.get('/admin/export', { config: { routeClass: 'admin' } }, async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const format = (text(q, 'format') ?? 'ndjson') as ExportFormat;
    if (!EXPORT_FORMATS.includes(format)) throw badRequest('INVALID_QUERY', `"format" must be one of ${EXPORT_FORMATS.join(', ')}`);
    const since = time(q, 'since');
    const until = time(q, 'until');
    const store = storeWith(stores, 'exportEvents');
    if (!store) throw unsupported('export');
    if (!store.exportFormats.includes(format)) {
      throw unsupportedBy(`${format} export needs the DuckDB store; the ${store.name} store exports ${store.exportFormats.join(', ')}`, { supported: store.exportFormats });
    }

    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-export-'));
    const cleanup = () => rm(dir, { recursive: true, force: true }).catch(() => undefined);
    const file = join(dir, `events.${format === 'ndjson' ? 'ndjson' : format}`);
    try {
      const started = Date.now();
      const rows = await asClientError(() => store.exportEvents({ ...(since ? { since } : {}), ...(until ? { until } : {}) }, format, file));
      const { size } = await stat(file);
      deps.logger.info({ event: 'eventsExported', format, rows, bytes: size, ms: Date.now() - started }, 'export written');
      const body = createReadStream(file);
      body.once('close', () => void cleanup());
      return reply
        .header('content-type', TYPES[format])
        .header('content-length', String(size))
        .header('content-disposition', `attachment; filename="gatehouse-events.${format}"`)
        .header(ROWS_HEADER, String(rows))
        .send(body);
    } catch (err) {
      await cleanup();
      throw err;
    }
  });
}
