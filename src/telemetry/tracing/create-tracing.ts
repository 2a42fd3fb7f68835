import type { TracingConfig } from './config.js';
import type { TracingOptions } from './otel-tracing.js';
import type { Tracing } from './types.js';

/**
 * The gateway's tracer, or undefined when `tracing.enabled` is false. The OpenTelemetry packages are imported
 * here, on demand: with tracing off none of them is loaded, no exporter runs and no request hook is installed.
 */
export async function createTracing(config: TracingConfig, options: TracingOptions): Promise<Tracing | undefined> {
  if (!config.enabled) return undefined;
  const { startTracing } = await import('./otel-tracing.js');
  return startTracing(config, options);
}
