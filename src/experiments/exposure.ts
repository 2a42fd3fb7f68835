import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../server/errors.js';
import type { TrackContext } from '../track/context.js';
import { recordEvents } from '../track/record.js';
import type { Assignment } from './assign.js';
import type { Experiment } from './config.js';

/**
 * The event id of an exposure, derived from what makes it unique: the experiment (and its salt), the unit and
 * the variant. Concurrent first requests, a retry after a gateway restart, or two gateways all produce the
 * same id, and every store keeps one event per id (JetStream's Nats-Msg-Id window, then the sinks' primary
 * key on eid), so a unit is exposed once per variant whatever happens. A unit that a ramp moves gets a second
 * exposure with the new variant (results leave such units out, see results.ts); a QA override is its own event.
 */
export function exposureId(exp: Experiment, a: Assignment): string {
  const key = [exp.name, exp.salt ?? exp.name, exp.unit, a.unit, a.variant, a.override ? 'override' : 'assigned'].join('\u0000');
  return `x-${createHash('sha256').update(key).digest('base64url').slice(0, 40)}`;
}

/**
 * Records one exposure: `ename: "exposure"`, `xid` = experiment, `split` = variant, origin `experiment`, and
 * `etyp` "assigned" or "override". Resolves true once it is durable; false when it could not be stored (the
 * page is served anyway, the loss is counted, and the next request of the unit tries again).
 */
export async function recordExposure(track: TrackContext, request: FastifyRequest, reply: FastifyReply, exp: Experiment, a: Assignment): Promise<boolean> {
  const input: Record<string, string> = {
    eid: exposureId(exp, a),
    ename: 'exposure',
    etyp: a.override ? 'override' : 'assigned',
    xid: exp.name,
    split: a.variant,
  };
  if (exp.unit === 'uid') input.uid = a.unit;
  try {
    const outcome = await recordEvents(track, request, reply, [input], {
      route: 'experiment',
      origin: 'experiment',
      setCookies: false,
      fixed: { url: `${request.protocol}://${request.host}${request.url}` },
    });
    return outcome.kind === 'accepted';
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    track.rejected({ reason: err.code.toLowerCase(), route: 'experiment' });
    return false;
  }
}
