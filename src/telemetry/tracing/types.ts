import type { IncomingHttpHeaders } from 'node:http';

/** Span attributes: OpenTelemetry's primitive values. */
export type SpanAttributes = Readonly<Record<string, string | number | boolean>>;

/** How a span ended: the HTTP status it stands for, or the failure that cut it. */
export interface SpanOutcome {
  readonly status?: number;
  readonly error?: string;
}

/** A span inside a request's trace: the proxy call, the spool commit. */
export interface ChildSpan {
  /** Writes this span's W3C trace context (`traceparent`, and `tracestate` when set) into outgoing headers. */
  inject(headers: Record<string, unknown>): void;
  end(outcome?: SpanOutcome): void;
}

/** The server span of one request on the main listener. */
export interface RequestTrace {
  /** 32 hex digits: the incoming trace's when the request carried a valid `traceparent`, else a new one. */
  readonly traceId: string;
  child(name: string, kind: 'client' | 'internal', attributes?: SpanAttributes): ChildSpan;
  end(outcome: SpanOutcome & { readonly route?: string; readonly routeClass?: string }): void;
}

export interface RequestStart {
  readonly method: string;
  /** The path as it may be recorded: no query string, personal identifiers redacted (see loggedPath). */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly scheme: string;
  readonly host: string;
}

/** The tracer of one gateway. Built only when `tracing.enabled`; absent otherwise, so nothing is paid when off. */
export interface Tracing {
  request(start: RequestStart): RequestTrace;
  /** Flushes the spans still queued (bounded by `tracing.exportTimeout`) and stops exporting. */
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's trace; only set when tracing is on (see traceRequests). */
    trace?: RequestTrace | null;
  }
}
