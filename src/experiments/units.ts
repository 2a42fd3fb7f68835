import type { FastifyRequest } from 'fastify';
import type { TrackContext } from '../track/context.js';
import { readCookie } from '../track/cookies.js';
import { applyIdentity } from '../track/identity.js';
import type { RequestFacts } from '../track/request-facts.js';

/** The ids an experiment can randomize on, and the cookies that must be set because they were just made. */
export interface Units {
  readonly vid: string;
  readonly sid: string | undefined;
  readonly uid: string | undefined;
  readonly setCookies: string[];
}

/**
 * The unit ids of a request, made the way the tracking routes make them (applyIdentity): the visitor and
 * session cookies, else new ids, or in cookieless mode the derived daily visitor id. New ids are also written
 * into the request's Cookie header, so the page view, the exposure and the upstream application all see the
 * visitor id this response sets, not a second one. Undefined when the request carries no identity
 * (a privacy signal asked for anonymity): such a request is not assigned.
 */
export function resolveUnits(track: TrackContext, request: FastifyRequest, facts: RequestFacts, userCookie: string): Units | undefined {
  if (facts.privacy.action !== 'ignore') return undefined;
  const { cookies } = track.config;
  const header = request.headers.cookie;
  const hadVid = readCookie(header, cookies.visitorName) !== undefined;
  const hadSid = readCookie(header, cookies.sessionName) !== undefined;
  const fields: { vid?: string; sid?: string } = {};
  const minted = applyIdentity(
    [fields],
    { cookies, salt: track.salt, setCookies: !(hadVid && hadSid) },
    facts,
  );
  if (!fields.vid) return undefined;
  if (cookies.mode !== 'cookieless' && !(hadVid && hadSid)) {
    const added = [...(hadVid ? [] : [`${cookies.visitorName}=${fields.vid}`]), ...(hadSid || !fields.sid ? [] : [`${cookies.sessionName}=${fields.sid}`])].join('; ');
    request.headers.cookie = header ? `${header}; ${added}` : added;
  }
  return { vid: fields.vid, sid: fields.sid, uid: readCookie(header, userCookie), setCookies: minted };
}
