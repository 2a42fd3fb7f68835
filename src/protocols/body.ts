import { gunzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseJsonBody } from '../track/body.js';
import { parseQuery } from '../track/inputs.js';
import { HttpError, badRequest } from '../server/errors.js';

export interface BodyLimits {
  /** Largest body once gzip or base64 is undone. */
  readonly inflatedLimit: number;
}

/**
 * The protocol routes read every body as bytes and decode it themselves: vendors' SDKs send JSON as
 * application/json, text/plain (beacons), gzip (PostHog, Segment) and base64 forms (posthog-js), and one
 * route must accept them all.
 */
export function registerRawBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}

/** The body as JSON, after undoing Content-Encoding gzip, `compression=gzip-js` and `data=<base64>` forms. */
export function decodeJsonBody(request: FastifyRequest, limits: BodyLimits): unknown {
  let bytes: Buffer = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const query = parseQuery(request.url);
  const compression = query.ok ? query.values.compression : undefined;
  const encoding = String(request.headers['content-encoding'] ?? '').toLowerCase();
  const type = String(request.headers['content-type'] ?? '').toLowerCase();

  if (type.startsWith('application/x-www-form-urlencoded')) {
    const form = parseQuery(`?${bytes.toString('latin1')}`);
    if (!form.ok || form.values.data === undefined) throw badRequest('INVALID_FORM', 'a form body must carry the payload in a "data" field');
    return decodeDataParam(form.values.data, form.values.compression ?? compression, limits);
  }
  if (encoding === 'gzip' || compression === 'gzip-js' || compression === 'gzip') bytes = gunzip(bytes, limits);
  else if (encoding !== '' && encoding !== 'identity') {
    throw new HttpError(415, 'UNSUPPORTED_ENCODING', `content encoding ${JSON.stringify(encoding)} is not accepted (use gzip)`);
  }
  if (bytes.length === 0) throw badRequest('EMPTY_BODY', 'request body is empty');
  return parseJsonBody(bytes);
}

/** A `data=` value: base64 (standard or URL-safe) of JSON, possibly gzipped. */
export function decodeDataParam(data: string, compression: string | undefined, limits: BodyLimits): unknown {
  if (compression && compression !== 'base64' && compression !== 'gzip-js' && compression !== 'gzip') {
    throw badRequest('UNSUPPORTED_COMPRESSION', `compression ${JSON.stringify(compression)} is not supported (use gzip-js or base64)`);
  }
  const trimmed = data.trim();
  // Some clients send the JSON itself in data=; base64 never starts with a brace or bracket.
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return parseJsonBody(Buffer.from(trimmed));
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(trimmed)) throw badRequest('INVALID_BASE64', '"data" is not base64');
  let bytes: Buffer = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length > limits.inflatedLimit) throw tooLarge(limits.inflatedLimit);
  if (compression === 'gzip-js' || compression === 'gzip') bytes = gunzip(bytes, limits);
  return parseJsonBody(bytes);
}

function gunzip(bytes: Buffer, limits: BodyLimits): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: limits.inflatedLimit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooLarge(limits.inflatedLimit);
    throw new HttpError(400, 'INVALID_GZIP', 'request body is not valid gzip', undefined, { cause: err });
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `decoded request body is larger than ${limit} bytes`, { limit });
}
