import type { FastifyInstance } from 'fastify';
import { badRequest } from '../server/errors.js';
import type { AdminStore } from './admin-store.js';
import { storeWith } from './admin-stores.js';
import type { AdminDataDeps } from './deps.js';
import { asClientError, unsupported, unsupportedBy } from './errors.js';
import { eventFilter } from './query.js';

const config = { routeClass: 'admin' };

/**
 * `/admin/events` (newest first, paged with `before`), and the privacy requests of one person:
 * `GET /admin/visitors/:vid` (access: every event, as JSON), `DELETE /admin/visitors/:vid` and
 * `DELETE /admin/users/:uid` (erasure from every store that can).
 */
export async function eventRoutes(app: FastifyInstance, deps: AdminDataDeps, stores: readonly AdminStore[]): Promise<void> {
  app.get('/admin/events', { config }, async (request) => {
    const filter = eventFilter(request.query as Record<string, unknown>);
    const store = storeWith(stores, 'queryEvents');
    if (!store) throw unsupported('listing events');
    return asClientError(() => store.queryEvents(filter));
  });

  app.get('/admin/visitors/:vid', { config }, async (request, reply) => {
    const { vid } = request.params as { vid: string };
    const store = storeWith(stores, 'visitorEvents');
    if (!store) throw unsupported('exporting a visitor');
    const events = await store.visitorEvents(vid);
    reply.header('content-disposition', `attachment; filename="visitor-${vid.replace(/[^\w-]/g, '_')}.json"`);
    return { vid, exported: new Date().toISOString(), count: events.length, events };
  });

  const erase = async (by: 'vid' | 'uid', value: string) => {
    if (!value.trim()) throw badRequest('INVALID_ID', 'an id is required');
    const capability = by === 'vid' ? 'deleteByVisitor' : 'deleteByUser';
    const able = stores.filter((s) => s[capability]);
    if (able.length === 0) {
      if (stores.length === 0) throw unsupported('erasure');
      // Cassandra keeps events by visitor and by day; finding a uid's rows would mean reading every partition.
      throw unsupportedBy(
        `erasure by uid is not possible in ${stores.map((s) => s.name).join(', ')}: no table is keyed by uid; erase each of the user's visitors with DELETE /admin/visitors/:vid`,
        { supported: ['DELETE /admin/visitors/:vid'] },
      );
    }
    const erased: Record<string, number> = {};
    for (const s of able) erased[s.name] = await (by === 'vid' ? s.deleteByVisitor?.(value) : s.deleteByUser?.(value)) ?? 0;
    deps.logger.info({ event: 'personErased', by, erased }, 'erasure request done');
    const notErased = [...new Set([...(deps.readOnlySinks ?? []), ...stores.map((s) => s.name)])].filter((n) => !(n in erased));
    return { erased, ...(notErased.length ? { notErased } : {}) };
  };
  app.delete('/admin/visitors/:vid', { config }, async (request) => erase('vid', (request.params as { vid: string }).vid));
  app.delete('/admin/users/:uid', { config }, async (request) => erase('uid', (request.params as { uid: string }).uid));
}
