import { scrubSecrets } from '../../config/secret-values.js';
import type { Telemetry } from '../telemetry.js';

/** `tracing`'s named internal event: an export the collector did not take; the spans of that batch are lost. */
export function traceExportFailed(t: Telemetry): (reason: string, spans: number) => void {
  const failed = t.event('traceExportFailed', 'Span batches the OTLP collector did not take (unreachable, refused, timed out); their spans are lost.', 'warn');
  // The exporter's message may quote a header or the URL, which can hold values taken from the environment.
  return (reason, spans) => failed({}, { reason: scrubSecrets(reason), spans });
}
