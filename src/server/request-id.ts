import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const HEADER = 'x-request-id';
// A client-sent id is kept only if it is short and plain, so it cannot inject into logs or headers.
const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify `genReqId`: the client's X-Request-Id when safe, else a new UUID. Echoed back by an onSend hook. */
export function requestId(req: IncomingMessage): string {
  const sent = req.headers[HEADER];
  return typeof sent === 'string' && SAFE.test(sent) ? sent : randomUUID();
}

export const REQUEST_ID_HEADER = HEADER;
