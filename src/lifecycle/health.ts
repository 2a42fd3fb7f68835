/** The health of one component, as reported by `healthcheck()` and aggregated by `/readyz`. */
export type Health = { status: 'up'; detail?: string } | { status: 'down'; reason: string };

export const up = (detail?: string): Health => (detail ? { status: 'up', detail } : { status: 'up' });
export const down = (reason: string): Health => ({ status: 'down', reason });

/** Every component follows build → start → close; `close` is idempotent and never throws. */
export interface Component {
  start(): Promise<void>;
  healthcheck(): Promise<Health>;
  close(): Promise<void>;
}
