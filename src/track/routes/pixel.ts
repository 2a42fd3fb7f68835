import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TrackContext } from '../context.js';
import { recordEvents } from '../record.js';
import { textInput } from './track.js';
import { routePrefixes } from './layout.js';
import { HttpError, retryAfterOf } from '../../server/errors.js';

/** The smallest transparent 1x1 GIF (43 bytes). */
export const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * `/img/v1/`: an email open. The GIF is always served, and bad input or a rate limit still get it with a 200 (an
 * email must not show a broken image for them); then nothing is recorded, and that is counted. An open that
 * cannot be stored (spool full, writes failing) gets the GIF with 503 and Retry-After, never a 2xx: a 2xx means
 * the open is recorded, and an image proxy may fetch it again later. Machine opens (privacy proxies, scanners)
 * are recorded with their bot verdict, not dropped.
 */
export async function pixelRoutes(app: FastifyInstance, ctx: TrackContext): Promise<void> {
  const paths = routePrefixes(ctx.config.routes, 'pixel').flatMap((prefix) => [prefix, `${prefix}/`, `${prefix}/*`].map((path) => ({ prefix, path })));
  for (const { prefix, path } of paths) {
    app.get(path, { config: { routeClass: 'pixel' } }, async (request, reply) => {
      if (request.rateLimited) {
        ctx.rejected({ reason: 'rate_limited', route: 'pixel' });
        return sendGif(reply);
      }
      try {
        await recordEvents(ctx, request, reply, [textInput(request.url, prefix)], {
          route: 'pixel',
          origin: 'pixel',
          setCookies: false,
          defaults: { ename: 'open', etyp: 'email' },
        });
      } catch (err) {
        const reason = err instanceof HttpError ? err.code.toLowerCase() : 'internal';
        // Invalid and too large events were counted where they were found (buildBatch, prepareEvents).
        if (reason !== 'invalid_event' && reason !== 'event_too_large') ctx.rejected({ reason, route: 'pixel' });
        if (!(err instanceof HttpError)) request.log.error({ err }, 'pixel not recorded');
        unrecordedStatus(reply, err);
      }
      return sendGif(reply);
    });
  }
}

/**
 * The status of a pixel whose event was not recorded: a server-side failure (spool full or failing: 503 with
 * Retry-After; anything unexpected: 500) is never answered 2xx. Bad input keeps the 200.
 */
export function unrecordedStatus(reply: FastifyReply, err: unknown): void {
  const status = err instanceof HttpError ? err.statusCode : 500;
  if (status < 500) return;
  reply.code(status);
  const retryAfter = err instanceof HttpError ? retryAfterOf(err) : undefined;
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
}

function sendGif(reply: FastifyReply) {
  return reply
    .header('content-type', 'image/gif')
    .header('cache-control', 'no-store, no-cache, must-revalidate, private')
    .header('pragma', 'no-cache')
    .header('expires', '0')
    .send(PIXEL_GIF);
}
