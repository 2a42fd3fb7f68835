import { describe, expect, it } from 'vitest';
import { traceIdOf } from './trace-id.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('traceIdOf', () => {
  it('reads the trace id of a version 00 traceparent', () => {
    expect(traceIdOf(`00-${TRACE}-00f067aa0ba902b7-01`)).toBe(TRACE);
    expect(traceIdOf(`00-${TRACE}-00f067aa0ba902b7-00`)).toBe(TRACE);
  });

  it('refuses what the spec calls invalid, and anything ambiguous', () => {
    for (const bad of [
      undefined,
      '',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`,
      `01-${TRACE}-00f067aa0ba902b7-01`,
      `00-${TRACE}-00f067aa0ba902b7-01-extra`,
      `00-${TRACE}-00f067aa0ba902b7-01, 00-${TRACE}-00f067aa0ba902b7-01`,
      [`00-${TRACE}-00f067aa0ba902b7-01`, `00-${TRACE}-00f067aa0ba902b7-01`],
    ]) {
      expect(traceIdOf(bad), String(bad)).toBeUndefined();
    }
  });
});
