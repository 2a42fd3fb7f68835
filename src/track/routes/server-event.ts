import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TrackContext } from '../context.js';
import { recordEvents } from '../record.js';
import { bodyInputs } from './track.js';
import { routePrefixes } from './layout.js';
import { unauthorized } from '../../server/errors.js';

/**
 * `/str/v1/`: events sent by backends, authenticated by an API key in `X-Api-Key` (or `Authorization:
 * Bearer`), never in the URL. Answers the event id(s).
 */
export async function serverEventRoutes(app: FastifyInstance, ctx: TrackContext): Promise<void> {
  // Compare digests so the comparison takes the same time whatever the key's length.
  const keys = ctx.config.apiKeys.map((k) => ({ name: k.name, digest: digest(k.key) }));
  const authenticate = (request: FastifyRequest): string => {
    const sent = apiKeyOf(request);
    const d = sent ? digest(sent) : undefined;
    const match = d && keys.find((k) => timingSafeEqual(k.digest, d));
    if (!match) {
      ctx.rejected({ reason: 'unauthorized', route: 'server' });
      throw unauthorized('a valid API key is required in the X-Api-Key header');
    }
    return match.name;
  };

  for (const path of routePrefixes(ctx.config.routes, 'server').flatMap((p) => [p, `${p}/`])) {
    app.post(path, { config: { routeClass: 'tracking' }, bodyLimit: ctx.config.limits.bodyLimit }, async (request, reply) => {
      const keyName = authenticate(request);
      const inputs = bodyInputs(request.body, ctx.config.limits.maxBatch);
      const outcome = await recordEvents(ctx, request, reply, inputs, {
        route: 'server',
        origin: 'server',
        setCookies: false,
      });
      request.log.debug({ apiKey: keyName }, 'server events accepted');
      const ids = outcome.kind === 'accepted' ? outcome.ids : [];
      return { ok: true, id: ids[0], ids };
    });
  }
}

function apiKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = request.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
