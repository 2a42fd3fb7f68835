import type { FastifyInstance } from 'fastify';
import { cursorAfter, type DuckDbStore, type EventOwner } from '../sinks/duckdb/index.js';
import type { TrackEvent } from '../track/event.js';
import { badRequest } from '../server/errors.js';
import type { AdminDataDeps } from './deps.js';
import { asClientError, unsupported } from './errors.js';
import { eventFilter } from './query.js';

const config = { routeClass: 'admin' };
const PAGE = 10_000;

/**
 * `/admin/events` (newest first, keyset pagination with `before`), and the privacy requests of one person:
 * `GET /admin/visitors/:vid` (access: every event, as JSON), `DELETE /admin/visitors/:vid` and
 * `DELETE /admin/users/:uid` (erasure from every store that can delete).
 */
export async function eventRoutes(app: FastifyInstance, deps: AdminDataDeps): Promise<void> {
  const store = (what: string): DuckDbStore => {
    if (!deps.store) throw unsupported(what);
    return deps.store;
  };

  app.get('/admin/events', { config }, async (request) => {
    const filter = eventFilter(request.query as Record<string, unknown>);
    const events = await asClientError(() => store('listing events').queryEvents(filter));
    const last = events.at(-1);
    const full = events.length === Math.min(filter.limit ?? 100, PAGE);
    return { events, next: full && last ? cursorAfter(last) : null };
  });

  app.get('/admin/visitors/:vid', { config }, async (request, reply) => {
    const { vid } = request.params as { vid: string };
    const events = await allEvents(store('exporting a visitor'), vid);
    reply.header('content-disposition', `attachment; filename="visitor-${vid.replace(/[^\w-]/g, '_')}.json"`);
    return { vid, exported: new Date().toISOString(), count: events.length, events };
  });

  const erase = async (owner: EventOwner) => {
    const value = 'vid' in owner ? owner.vid : owner.uid;
    if (!value.trim()) throw badRequest('INVALID_ID', 'an id is required');
    const erased: Record<string, number> = {};
    erased.duckdb = await store('erasure').deleteEvents(owner);
    deps.logger.info({ event: 'personErased', by: 'vid' in owner ? 'vid' : 'uid', erased }, 'erasure request done');
    const notErased = deps.readOnlySinks ?? [];
    return { erased, ...(notErased.length ? { notErased } : {}) };
  };
  app.delete('/admin/visitors/:vid', { config }, async (request) => erase({ vid: (request.params as { vid: string }).vid }));
  app.delete('/admin/users/:uid', { config }, async (request) => erase({ uid: (request.params as { uid: string }).uid }));
}

/** Every event of a visitor, oldest pages last, read in pages so one request never asks for an unbounded LIMIT. */
async function allEvents(store: DuckDbStore, vid: string): Promise<TrackEvent[]> {
  const out: TrackEvent[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await store.queryEvents({ vid, limit: PAGE, ...(before ? { before } : {}) });
    out.push(...page);
    const last = page.at(-1);
    if (page.length < PAGE || !last) return out;
    before = cursorAfter(last);
  }
}
