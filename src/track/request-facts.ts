import type { FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { EventOrigin } from './event.js';
import type { RequestClient } from './request-client.js';
import { decidePrivacy, type PrivacyDecision, type PrivacyPolicy } from './privacy.js';
import { traceIdOf } from '../telemetry/tracing/index.js';

/**
 * What the gateway knows about one tracking request, decided once per request and then only read: by identity
 * (cookies, cookieless ids), by enrichment (IP, geo, UA, referrer, privacy) and, through the event, by the
 * spool. Plain data, so enrichment runs without HTTP.
 */
export interface RequestFacts {
  /** The visitor's address, through the trusted proxies (see RequestClient). */
  readonly clientIp: string;
  /** The visitor's connection is HTTPS: ours, or a trusted TLS-terminating proxy's (its X-Forwarded-Proto). */
  readonly secure: boolean;
  /** Request headers, lower-case names. */
  readonly headers: IncomingHttpHeaders;
  readonly receivedAt: Date;
  /** The site the event is for (the validated Host); enrichment stores it lower-case without port. */
  readonly host: string;
  readonly origin: EventOrigin;
  /** The privacy signals' decision; 'drop' never reaches enrichment (the route records nothing). */
  readonly privacy: PrivacyDecision;
  /**
   * The trace this request belongs to (32 hex digits), kept on its events as `trace_id`: the gateway's own span's
   * when tracing is on (which continues a valid incoming `traceparent`), else the incoming `traceparent`'s.
   */
  readonly traceId?: string;
}

export type RequestFactsOf = (request: FastifyRequest, origin: EventOrigin) => RequestFacts;

/** Built once at start from the gateway's one RequestClient and the privacy policy. */
export function createRequestFacts(client: RequestClient, policy: PrivacyPolicy): RequestFactsOf {
  return (request, origin) => {
    const { headers } = request;
    return {
      clientIp: client.ip(request),
      secure: client.https(request),
      headers,
      receivedAt: new Date(),
      host: request.hostname,
      origin,
      privacy: decidePrivacy(headers, policy),
      traceId: request.trace?.traceId ?? traceIdOf(headers.traceparent),
    };
  };
}
