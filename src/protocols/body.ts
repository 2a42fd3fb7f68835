import { gunzipSync } from 'node:zlib';
import lzString from 'lz-string';
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

/**
 * The body as JSON, decoded by what it is as much as by what it claims: gzip is recognised by its magic bytes
 * (posthog-js posts gzip as text/plain with neither Content-Encoding nor `compression=`), then
 * Content-Encoding gzip, `compression=gzip-js|gzip|lz64|base64`, and `data=` forms.
 */
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
  if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip') {
    throw new HttpError('UNSUPPORTED_ENCODING', `content encoding ${JSON.stringify(encoding)} is not accepted (use gzip)`);
  }
  if (isGzip(bytes) || encoding === 'gzip' || compression === 'gzip-js' || compression === 'gzip') bytes = gunzip(bytes, limits);
  else if (compression === 'lz64' || compression === 'base64') return decodeDataParam(bytes.toString('latin1'), compression, limits);
  if (bytes.length === 0) throw badRequest('EMPTY_BODY', 'request body is empty');
  return parseJsonBody(bytes);
}

/** A `data=` value: JSON, or base64 (standard or URL-safe) of JSON, possibly gzipped; or lz-string's base64 (lz64). */
export function decodeDataParam(data: string, compression: string | undefined, limits: BodyLimits): unknown {
  if (compression && !COMPRESSIONS.has(compression)) {
    throw badRequest('UNSUPPORTED_COMPRESSION', `compression ${JSON.stringify(compression)} is not supported (use gzip-js, lz64 or base64)`);
  }
  const trimmed = data.trim();
  // Some clients send the JSON itself in data=; base64 never starts with a brace or bracket.
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return parseJsonBody(Buffer.from(trimmed));
  if (compression === 'lz64') return parseJsonBody(lz64(trimmed, limits));
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(trimmed)) throw badRequest('INVALID_BASE64', '"data" is not base64');
  let bytes: Buffer = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length > limits.inflatedLimit) throw tooLarge(limits.inflatedLimit);
  if (isGzip(bytes) || compression === 'gzip-js' || compression === 'gzip') bytes = gunzip(bytes, limits);
  return parseJsonBody(bytes);
}

const COMPRESSIONS = new Set(['base64', 'gzip-js', 'gzip', 'lz64']);

/** RFC 1952: every gzip member starts with ID1 ID2 = 1f 8b, and deflate (CM 8) is the only method in use. */
function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08;
}

/**
 * posthog-js's older `compression=lz64`: lz-string's compressToBase64 of the JSON. lz-string cannot bound its
 * output, and its worst case grows with the square of the input (about (length / 2.6)² characters, measured
 * with a run of one letter), so the input is bounded so that even that case stays within `inflatedLimit`.
 * Current posthog-js sends gzip; lz64 bodies of legacy clients are small.
 */
function lz64(data: string, limits: BodyLimits): Buffer {
  const maxInput = Math.floor(2.6 * Math.sqrt(limits.inflatedLimit));
  if (data.length > maxInput) {
    throw new HttpError('PAYLOAD_TOO_LARGE', `an lz64 body is accepted up to ${maxInput} characters (send gzip-js for more)`, { limit: maxInput });
  }
  let text: string | null;
  try {
    // Form decoding turned the base64 "+" into spaces when the client did not percent-encode it.
    text = lzString.decompressFromBase64(data.replace(/ /g, '+'));
  } catch (err) {
    throw new HttpError('INVALID_LZ64', '"data" is not lz-string base64', undefined, { cause: err });
  }
  if (!text) throw badRequest('INVALID_LZ64', '"data" is not lz-string base64');
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > limits.inflatedLimit) throw tooLarge(limits.inflatedLimit);
  return bytes;
}

function gunzip(bytes: Buffer, limits: BodyLimits): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: limits.inflatedLimit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooLarge(limits.inflatedLimit);
    throw new HttpError('INVALID_GZIP', 'request body is not valid gzip', undefined, { cause: err });
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError('PAYLOAD_TOO_LARGE', `decoded request body is larger than ${limit} bytes`, { limit });
}
