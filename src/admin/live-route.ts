import type { FastifyInstance } from 'fastify';
import type { AdminDataDeps } from './deps.js';
import { unsupported } from './errors.js';
import { LiveHub } from './live-hub.js';
import { fieldFilter } from './query.js';

/**
 * `GET /admin/events/live`: Server-Sent Events, one `data:` line of JSON per accepted event (id: eid), with the
 * listing's field filters (ename, etyp, vid, uid, url). Comments carry heartbeats and the reason a stream ends.
 * Accepted means spooled: an event appears here before it reaches the store.
 */
export async function liveRoute(app: FastifyInstance, deps: AdminDataDeps): Promise<void> {
  const hub = deps.pipeline ? new LiveHub(deps.pipeline, deps.telemetry, deps.live ?? {}) : undefined;
  // The listener's close waits for open responses; end the streams first.
  app.addHook('preClose', async () => hub?.closeAll());

  app.get('/admin/events/live', { config: { routeClass: 'admin' } }, async (request, reply) => {
    if (!hub) throw unsupported('the live tail');
    const filter = fieldFilter(request.query as Record<string, unknown>);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'close', // the stream is the connection's last response: a dropped viewer is disconnected
      'x-accel-buffering': 'no', // nginx in front: do not buffer the stream
      'x-request-id': String(request.id),
    });
    res.socket?.setNoDelay(true);
    hub.add(res, filter);
  });
}
