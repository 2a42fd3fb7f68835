import type { Telemetry } from '../telemetry.js';

/** `tracing`'s named internal event: an export the collector did not take; the spans of that batch are lost. */
export function traceExportFailed(t: Telemetry): (reason: string, spans: number) => void {
  const failed = t.event('traceExportFailed', 'Span batches the OTLP collector did not take (unreachable, refused, timed out); their spans are lost.', 'warn');
  return (reason, spans) => failed({}, { reason, spans });
}
