import type { FastifyInstance } from 'fastify';
import { badRequest } from '../server/errors.js';
import type { StatsReport } from '../sinks/duckdb/index.js';
import type { AdminStore, StatsParts } from './admin-store.js';
import { storeWith } from './admin-stores.js';
import type { AdminDataDeps } from './deps.js';
import { asClientError, unsupported, unsupportedBy } from './errors.js';
import { integer, text, time } from './query.js';
import { rejectedCounts, type RejectedCount } from './rejected.js';
import { REPORTS, type Report, type StoreReport } from './reports.js';

export { REPORTS, type Report } from './reports.js';

const DAY = 86_400_000;

export type StatsAnswer = StatsParts & { range: StatsReport['range']; rejected?: RejectedCount[] };

/**
 * `GET /admin/stats?since&until&bucket=hour|day&top=N&reports=a,b`: the overview. Defaults: the last 7 days,
 * hourly points up to two days, daily beyond; every report. Human figures leave bots out (see StatsReport).
 */
export async function statsRoute(app: FastifyInstance, deps: AdminDataDeps, stores: readonly AdminStore[]): Promise<void> {
  app.get('/admin/stats', { config: { routeClass: 'admin' } }, async (request): Promise<StatsAnswer> => {
    const q = request.query as Record<string, unknown>;
    const now = Date.now();
    const until = new Date(time(q, 'until', now) ?? now);
    const since = new Date(time(q, 'since', now) ?? until.getTime() - 7 * DAY);
    if (since >= until) throw badRequest('INVALID_QUERY', '"since" must be before "until"');
    const bucket = text(q, 'bucket') ?? (until.getTime() - since.getTime() <= 2 * DAY ? 'hour' : 'day');
    if (bucket !== 'hour' && bucket !== 'day') throw badRequest('INVALID_QUERY', '"bucket" must be hour or day');
    if (bucket === 'hour' && until.getTime() - since.getTime() > 92 * DAY) throw badRequest('INVALID_QUERY', 'hourly points cover at most 92 days; use bucket=day');
    const top = integer(q, 'top', 1, 100) ?? 10;
    const reports = wanted(text(q, 'reports'));

    const range = { since: since.toISOString(), until: until.toISOString(), bucket: bucket as 'hour' | 'day' };
    const answer: StatsAnswer = { range };
    const needStore = reports.filter((r): r is StoreReport => r !== 'rejected');
    if (needStore.length > 0) {
      const store = storeWith(stores, 'stats');
      if (!store) throw unsupported(`the reports ${needStore.join(', ')}`, { unsupported: needStore, supported: ['rejected'] });
      const missing = needStore.filter((r) => !store.reports.includes(r));
      if (missing.length) {
        throw unsupportedBy(`the ${store.name} store cannot give the reports ${missing.join(', ')}`, { unsupported: missing, supported: [...store.reports, 'rejected'] });
      }
      const parts = await asClientError(() => store.stats({ since, until, bucket, top }, needStore));
      for (const r of needStore) Object.assign(answer, { [r]: parts[r] });
    }
    if (reports.includes('rejected')) answer.rejected = await rejectedCounts(deps.telemetry);
    return answer;
  });
}

function wanted(list: string | undefined): Report[] {
  if (!list) return [...REPORTS];
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(REPORTS as readonly string[]).includes(n));
  if (unknown.length) throw badRequest('INVALID_QUERY', `unknown reports: ${unknown.join(', ')} (known: ${REPORTS.join(', ')})`);
  return names as Report[];
}
