/**
 * The one catalogue of errors a client can see: each code, its HTTP status, and what it means. Every error body is
 * `{"error":{"code","message", ...details}}`; the message says what was wrong with this request, the meaning
 * below what the code stands for. `npm run schema` writes this table to docs/errors.md.
 */
export const ERROR_CODES = {
  // 400: the request itself
  BAD_REQUEST: { status: 400, meaning: 'Not a valid HTTP request (RFC 9112), or a path that cannot be served.' },
  BAD_URL: { status: 400, meaning: 'The request path is not valid percent-encoded UTF-8.' },
  INVALID_REQUEST: { status: 400, meaning: 'The request does not match the route\'s schema.' },
  INVALID_JSON: { status: 400, meaning: 'The body is not valid JSON (the message gives the position).' },
  JSON_TOO_COMPLEX: { status: 400, meaning: 'JSON nested too deep or holding too many entries (the message names the limit).' },
  FORBIDDEN_KEY: { status: 400, meaning: 'A `__proto__` or `constructor.prototype` key in JSON.' },
  INVALID_FORM: { status: 400, meaning: 'A form body that cannot be decoded.' },
  INVALID_QUERY: { status: 400, meaning: 'A query string that cannot be decoded (bad percent-encoding, repeated keys, too many).' },
  INVALID_UTF8: { status: 400, meaning: 'Text that is not valid UTF-8.' },
  INVALID_GZIP: { status: 400, meaning: 'A body announced or recognised as gzip that does not inflate.' },
  INVALID_BASE64: { status: 400, meaning: 'A base64 body or field that does not decode.' },
  INVALID_LZ64: { status: 400, meaning: 'An lz-string (lz64) body that does not decode.' },
  UNSUPPORTED_COMPRESSION: { status: 400, meaning: 'A `compression` parameter Gatehouse does not know.' },
  EMPTY_BODY: { status: 400, meaning: 'A request that needs a body came without one.' },
  EMPTY_BATCH: { status: 400, meaning: 'A batch with no events.' },
  BATCH_TOO_LARGE: { status: 400, meaning: 'More events in one request than the route accepts.' },
  INVALID_EVENT: { status: 400, meaning: 'Event fields of the wrong type or value (the message and `fields` list each one).' },
  INVALID_PAYLOAD: { status: 400, meaning: 'A protocol payload (Segment, Snowplow, PostHog, GA4, a source) of the wrong shape.' },
  INVALID_FIELD: { status: 400, meaning: 'A field of a configured source that cannot be mapped onto the event.' },
  MISSING_FIELD: { status: 400, meaning: 'A field the route or source requires is absent.' },
  INVALID_URL: { status: 400, meaning: 'A URL that is not absolute http(s).' },
  REDIRECT_REFUSED: { status: 400, meaning: 'A tracked redirect to a destination that is neither stored nor signed.' },
  INVALID_SLUG: { status: 400, meaning: 'A short-link slug with characters outside the allowed set.' },
  INVALID_HOST: { status: 400, meaning: 'A short link\'s host that is not a host name.' },
  INVALID_ID: { status: 400, meaning: 'An admin API id parameter that is empty or malformed.' },
  INVALID_FILTER: { status: 400, meaning: 'An admin API filter (time, cursor, limit) that cannot be read.' },
  // 401 to 431: who may ask, and how much
  UNAUTHORIZED: { status: 401, meaning: 'Missing or invalid credentials (admin token, API key, write key).' },
  FORBIDDEN: { status: 403, meaning: 'A static path that is not served (outside the root, or protected).' },
  FORBIDDEN_HOST: { status: 403, meaning: 'The admin API without a token answers only a loopback Host or one in `admin.hosts`.' },
  FORBIDDEN_ORIGIN: { status: 403, meaning: 'An admin API change sent from another site\'s page (Origin).' },
  NOT_FOUND: { status: 404, meaning: 'No route, file, link or project key here.' },
  REQUEST_TIMEOUT: { status: 408, meaning: 'The request headers were not received within `server.headersTimeout`.' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'A body larger than the route\'s limit, as sent or once decoded (`limit` says which).' },
  EVENT_TOO_LARGE: { status: 413, meaning: 'An event larger than `spool.maxEventSize` as stored (its JSON, with what the gateway adds); `index` says which of the request\'s events, `size` and `limit` the bytes. Nothing of the request was stored.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'A content type the route does not accept.' },
  UNSUPPORTED_ENCODING: { status: 415, meaning: 'A `Content-Encoding` other than gzip.' },
  CONFIG_RELOAD_REFUSED: { status: 409, meaning: 'A config reload that changes keys a running process cannot change (the message names them); nothing changed.' },
  MISDIRECTED_REQUEST: { status: 421, meaning: 'A plain-HTTP request for a name this server has no HTTPS site for.' },
  CONFIG_INVALID: { status: 422, meaning: 'A config reload of a file that does not validate (the message lists every problem, as `gatehouse validate` does); nothing changed.' },
  RATE_LIMITED: { status: 429, meaning: 'Past the rate limit of the route class; `Retry-After` says when to come back.' },
  HEADERS_TOO_LARGE: { status: 431, meaning: 'Request headers larger than the server accepts.' },
  // 5xx: the server cannot keep its promise now
  INTERNAL: { status: 500, meaning: 'An unexpected error; the details are in the log, never in the answer.' },
  INVALID_RESPONSE_HEADER: { status: 500, meaning: 'A response header built from the request could not be written; nothing was stored.' },
  CONFIG_RELOAD_FAILED: { status: 500, meaning: 'A valid config could not be applied (a file it names could not be opened, a worker did not acknowledge); the message says what.' },
  NOT_SUPPORTED_BY_STORE: { status: 501, meaning: 'The configured store cannot answer this admin request.' },
  LINKS_UNAVAILABLE: { status: 501, meaning: 'Short links need a link store (DuckDB or Cassandra).' },
  SIGNING_DISABLED: { status: 501, meaning: 'Signing links needs `tracking.redirects.signingKey`.' },
  BAD_GATEWAY: { status: 502, meaning: 'The proxied upstream could not be reached or answered badly.' },
  SPOOL_FULL: { status: 503, meaning: 'The spool holds `spool.maxBytes` unforwarded: nothing was stored; retry after `Retry-After`.' },
  NOT_ACCEPTING: { status: 503, meaning: 'The spool cannot write now (disk full, I/O error, starting): nothing was stored; retry.' },
  SHUTTING_DOWN: { status: 503, meaning: 'The server is shutting down; retry on a new connection.' },
  CONNECTION_LIMIT: { status: 503, meaning: 'The connection has served `server.maxRequestsPerSocket` requests; open a new one.' },
  GATEWAY_TIMEOUT: { status: 504, meaning: 'The proxied upstream did not answer in time.' },
  HTTP_VERSION_NOT_SUPPORTED: { status: 505, meaning: 'An HTTP version this listener does not serve (HTTP/0.9, HTTP/2 in plain text).' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes answered with status `S`. */
export type ErrorCodeOf<S extends number> = { [C in ErrorCode]: (typeof ERROR_CODES)[C]['status'] extends S ? C : never }[ErrorCode];

export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}
