import type { FastifyInstance } from 'fastify';
import { badRequest } from '../server/errors.js';

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
  try {
    return JSON.parse(text);
  } catch (err) {
    const pos = /position (\d+)/.exec((err as Error).message);
    throw badRequest('INVALID_JSON', `malformed JSON${pos ? ` at position ${pos[1]}` : ''}`, pos ? { position: Number(pos[1]) } : undefined);
  }
}
