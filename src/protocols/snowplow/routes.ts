import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TrackContext } from '../../track/context.js';
import { parseQuery } from '../../track/inputs.js';
import { PIXEL_GIF, unrecordedStatus } from '../../track/routes/pixel.js';
import { HttpError } from '../../server/errors.js';
import type { ProtocolsConfig } from '../config.js';
import { decodeJsonBody } from '../body.js';
import { atItem } from '../item-error.js';
import { recordProtocolEvents } from '../record.js';
import { mapSnowplowEvent, payloadData } from './map.js';

/**
 * The Snowplow tracker protocol: GET pixel (one event in the query) and POST tp2 (payload_data). The pixel
 * always answers its GIF, like /img/v1/: a bad event is counted and still gets a 200; an event that cannot be
 * stored (spool full or failing) gets the GIF with 503, never a 2xx.
 */
export async function snowplowRoutes(app: FastifyInstance, ctx: TrackContext, config: ProtocolsConfig): Promise<void> {
  const limits = { maxParams: config.maxParams, maxValueLength: config.maxValueLength };

  for (const path of config.snowplow.pixelPaths) {
    app.get(path, { config: { routeClass: 'pixel' } }, async (request, reply) => {
      if (request.rateLimited) {
        ctx.rejected({ reason: 'rate_limited', route: 'snowplow' });
        return sendGif(reply);
      }
      const query = parseQuery(request.url);
      let item;
      try {
        if (!query.ok) throw new HttpError('INVALID_EVENT', 'invalid query string');
        item = mapSnowplowEvent(query.values);
      } catch {
        ctx.rejected({ reason: 'invalid_event', route: 'snowplow' });
        return sendGif(reply);
      }
      try {
        await recordProtocolEvents(ctx, request, [item], { route: 'snowplow', limits });
      } catch (err) {
        // Invalid fields were counted by recordProtocolEvents; anything else (spool full) is counted here.
        if (!(err instanceof HttpError && err.statusCode === 400)) {
          ctx.rejected({ reason: err instanceof HttpError ? err.code.toLowerCase() : 'internal', route: 'snowplow' });
        }
        if (!(err instanceof HttpError)) request.log.error({ err }, 'snowplow pixel not recorded');
        unrecordedStatus(reply, err);
      }
      return sendGif(reply);
    });
  }

  for (const path of config.snowplow.postPaths) {
    app.post(path, { config: { routeClass: 'tracking' }, bodyLimit: config.bodyLimit }, async (request, reply) => {
      const events = payloadData(decodeJsonBody(request, config), config.maxBatch);
      const items = events.map((e, i) => atItem(i, () => mapSnowplowEvent(e)));
      await recordProtocolEvents(ctx, request, items, { route: 'snowplow', limits });
      return reply.header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('ok');
    });
  }
}

function sendGif(reply: FastifyReply) {
  return reply
    .header('content-type', 'image/gif')
    .header('cache-control', 'no-store, no-cache, must-revalidate, private')
    .send(PIXEL_GIF);
}
