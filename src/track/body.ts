import type { FastifyInstance } from 'fastify';
import secureJsonParse from 'secure-json-parse';
import { badRequest } from '../server/errors.js';
import { jsonShapeViolation } from './json-shape.js';
import { mayHoldLoneSurrogates, wellFormedJson } from './well-formed.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON bodies as `application/json` and as `text/plain` (what navigator.sendBeacon sends, which avoids a CORS
 * preflight). Invalid UTF-8 and malformed JSON are 400s that name the position.
 */
export function registerJsonParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

export function parseJsonBody(body: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw badRequest('INVALID_UTF8', 'request body is not valid UTF-8');
  }
  if (text.trim() === '') throw badRequest('INVALID_JSON', 'request body is empty');
  return parseJsonText(text);
}

/**
 * Every JSON a client sends (bodies, base64 `data=` forms, Snowplow's self-describing fields) is read here:
 * shape limits first (depth, entries), then a parse that refuses `__proto__` and `constructor.prototype` keys
 * (prototype poisoning, as Fastify's own parser does), then lone surrogates replaced by U+FFFD.
 */
export function parseJsonText(text: string): unknown {
  const violation = jsonShapeViolation(text);
  if (violation) {
    const what = violation.limit === 'maxDepth' ? `nested more than ${violation.value} levels deep` : `more than ${violation.value} array elements and object members`;
    throw badRequest('JSON_TOO_COMPLEX', `JSON is ${what}`, { limit: violation.limit, value: violation.value });
  }
  let value: unknown;
  try {
    value = secureJsonParse(text, null, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const message = (err as Error).message;
    if (/forbidden (prototype|constructor) property/.test(message)) {
      throw badRequest('FORBIDDEN_KEY', 'JSON keys "__proto__" and "constructor" holding "prototype" are not accepted');
    }
    const pos = /position (\d+)/.exec(message);
    throw badRequest('INVALID_JSON', `malformed JSON${pos ? ` at position ${pos[1]}` : ''}`, pos ? { position: Number(pos[1]) } : undefined);
  }
  return mayHoldLoneSurrogates(text) ? wellFormedJson(value) : value;
}
