import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace, type Span, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from './config.js';
import type { ChildSpan, RequestTrace, SpanAttributes, SpanOutcome, Tracing } from './types.js';

/** Our attribute for the route class (tracking, pixel, proxy, static, ...), the label /metrics uses too. */
export const ATTR_ROUTE_CLASS = 'gatehouse.route_class';

export interface TracingOptions {
  readonly version: string;
  /** An export the collector did not take (unreachable, refused): the spans of that batch are lost. */
  readonly exportFailed: (reason: string, spans: number) => void;
}

const propagator = new W3CTraceContextPropagator();

/**
 * The OpenTelemetry side of `tracing` (loaded only when it is enabled, see createTracing). A provider of our own,
 * never registered globally: nothing else in the process is patched or traced, and two gateways in one process
 * (tests, workers) keep their own. Spans are explicit, made in our hooks, with contexts passed by hand rather than
 * through async-hooks context propagation, which costs on every async step.
 */
export function startTracing(config: TracingConfig, options: TracingOptions): Tracing {
  const otlp = new OTLPTraceExporter({ url: config.endpoint, headers: { ...config.headers }, timeoutMillis: config.exportTimeout });
  const exporter: SpanExporter = {
    export(spans, done) {
      otlp.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) options.exportFailed(result.error?.message ?? 'export failed', spans.length);
        done(result);
      });
    },
    shutdown: () => otlp.shutdown(),
    forceFlush: () => otlp.forceFlush(),
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: options.version }),
    // A trace that arrives sampled (or not) stays so: a trace is kept or dropped whole across services.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.exportInterval, exportTimeoutMillis: config.exportTimeout })],
  });
  const tracer = provider.getTracer('gatehouse', options.version);
  return {
    request(start) {
      const parent = propagator.extract(ROOT_CONTEXT, start.headers, defaultTextMapGetter);
      const span = tracer.startSpan(
        start.method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: start.method,
            [ATTR_URL_PATH]: start.path,
            [ATTR_URL_SCHEME]: start.scheme,
            [ATTR_SERVER_ADDRESS]: start.host,
          },
        },
        parent,
      );
      return new OtelRequestTrace(tracer, span, start.method);
    },
    close: () => provider.shutdown(),
  };
}

class OtelRequestTrace implements RequestTrace {
  readonly traceId: string;
  private ended = false;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
    private readonly method: string,
  ) {
    this.traceId = span.spanContext().traceId;
  }

  child(name: string, kind: 'client' | 'internal', attributes?: SpanAttributes): ChildSpan {
    const parent = trace.setSpan(ROOT_CONTEXT, this.span);
    const span = this.tracer.startSpan(name, { kind: kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL, ...(attributes ? { attributes } : {}) }, parent);
    return {
      inject: (headers) => propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, defaultTextMapSetter),
      // A client span is an error from 400 on (the call failed); see endSpan.
      end: (outcome) => endSpan(span, outcome, kind === 'client' ? 400 : 500),
    };
  }

  end(outcome: SpanOutcome & { readonly route?: string; readonly routeClass?: string }): void {
    // A proxied WebSocket ends its span at the handshake; the request's own end (if any) comes later.
    if (this.ended) return;
    this.ended = true;
    if (outcome.route) {
      this.span.setAttribute(ATTR_HTTP_ROUTE, outcome.route);
      this.span.updateName(`${this.method} ${outcome.route}`);
    }
    if (outcome.routeClass) this.span.setAttribute(ATTR_ROUTE_CLASS, outcome.routeClass);
    // A server span is an error only from 500 on: a 4xx is the client's mistake, answered as designed.
    endSpan(this.span, outcome, 500);
  }
}

/** Status per OpenTelemetry's HTTP conventions: an error from `errorFrom` on, or when the exchange failed. */
function endSpan(span: Span, outcome: SpanOutcome | undefined, errorFrom: number): void {
  if (outcome?.status !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, outcome.status);
  if (outcome?.error) {
    span.setAttribute(ATTR_ERROR_TYPE, outcome.error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
  } else if (outcome?.status !== undefined && outcome.status >= errorFrom) {
    span.setAttribute(ATTR_ERROR_TYPE, String(outcome.status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
