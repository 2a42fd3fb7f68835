import { Type, type StaticDecode } from '@sinclair/typebox';
import { Duration, Section } from '../../config/types.js';

export const TracingConfig = Section(
  {
    enabled: Type.Boolean({
      default: false,
      description:
        'OpenTelemetry traces: a span per request on the main listener (route class, status), with child spans for the proxy call and the spool commit, exported over OTLP/HTTP. Off: the tracing SDK is not even loaded.',
    }),
    endpoint: Type.String({
      default: 'http://127.0.0.1:4318/v1/traces',
      pattern: '^https?://[^\\s]+$',
      // writeOnly: a URL can carry credentials, so config errors never show it.
      writeOnly: true,
      description: 'The collector\'s OTLP/HTTP traces URL (the full path, usually ending in /v1/traces). Spans are sent as OTLP JSON.',
    }),
    headers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' }), Type.String(), {
      default: {},
      description: 'Headers sent with every export, e.g. a vendor\'s API key (write it as "${OTEL_API_KEY}").',
    }),
    serviceName: Type.String({ minLength: 1, default: 'gatehouse', description: 'The `service.name` resource attribute of every span.' }),
    sampleRatio: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 1,
      description:
        'Share of new traces recorded (0 to 1). A request that arrives with a `traceparent` follows its sampled flag instead, so a trace is kept or dropped whole.',
    }),
    exportInterval: Duration('5s', {
      description: 'How long finished spans wait to be sent together (one export per interval, or sooner when 512 are queued).',
    }),
    exportTimeout: Duration('10s', { description: 'How long one export to the collector may take before it is given up.' }),
  },
  { description: 'OpenTelemetry tracing (docs/tracing.md). Off by default.' },
);

export type TracingConfig = StaticDecode<typeof TracingConfig>;
