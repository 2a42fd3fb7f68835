import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { FastifyReply } from 'fastify';
import { HttpError } from './errors.js';

export type ResponseHeaders = Readonly<Record<string, string | readonly string[]>>;

/**
 * Sets response headers after the checks Node would otherwise make only when it writes them. A route that
 * stores an event sets every header that depends on the request (cookies, Location) through this, before the
 * event is stored: a value Node would refuse (a control character, a code point above U+00FF) then fails the
 * request while nothing is stored yet, instead of turning an accepted event into a 500 that a client retries.
 */
export function setCheckedHeaders(reply: FastifyReply, headers: ResponseHeaders): void {
  for (const [name, value] of Object.entries(headers)) {
    try {
      validateHeaderName(name);
      for (const v of typeof value === 'string' ? [value] : value) validateHeaderValue(name, v);
    } catch (err) {
      throw new HttpError('INVALID_RESPONSE_HEADER', `the ${name} header of this response could not be written`, undefined, { cause: err });
    }
  }
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
}
