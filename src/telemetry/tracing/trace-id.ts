/**
 * The trace id of a W3C `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header), or
 * undefined when the header is absent or malformed. Only version 00's layout is accepted, and the all-zero ids the
 * spec declares invalid are refused, so what lands in an event's `trace_id` is always 32 lower-case hex digits.
 * Read without the tracing SDK: the id of an incoming trace is kept on events even when tracing is off.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

export function traceIdOf(traceparent: string | string[] | undefined): string | undefined {
  // A repeated header is ambiguous: which of them would an upstream believe? Neither.
  if (typeof traceparent !== 'string' || traceparent.length !== 55) return undefined;
  const m = TRACEPARENT.exec(traceparent);
  if (!m || m[1] === ZERO_TRACE || m[2] === ZERO_SPAN) return undefined;
  return m[1];
}
