export { TracingConfig } from './config.js';
export { createTracing } from './create-tracing.js';
export { traceIdOf } from './trace-id.js';
export type { ChildSpan, RequestStart, RequestTrace, SpanAttributes, SpanOutcome, Tracing } from './types.js';
export { traceExportFailed } from './events.js';
export { tracingIssues } from './checks.js';
