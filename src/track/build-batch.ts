import { buildEvent, type BuildLimits, type BuiltEvent, type FieldError } from './build.js';
import { HttpError } from '../server/errors.js';

/**
 * Builds every item of a request, or none: a batch with any bad item is rejected whole with per-item errors
 * (400 INVALID_EVENT), so a client never has to guess which half was stored. `onRejected` counts the rejection.
 */
export function buildBatch(
  inputs: readonly Record<string, unknown>[],
  limits: BuildLimits,
  onRejected: (count: number) => void,
): BuiltEvent[] {
  const built: BuiltEvent[] = [];
  const items: { index: number; errors: FieldError[] }[] = [];
  inputs.forEach((input, index) => {
    const result = buildEvent(input, limits);
    if (result.ok) built.push(result.event);
    else items.push({ index, errors: result.errors });
  });
  if (items.length === 0) return built;
  onRejected(inputs.length);
  const only = inputs.length === 1 ? items[0] : undefined;
  throw new HttpError(
    'INVALID_EVENT',
    only ? `invalid fields: ${only.errors.map((e) => `${e.field} ${e.message}`).join('; ')}` : `${items.length} of ${inputs.length} events are invalid; none was stored`,
    only ? { fields: only.errors } : { items },
  );
}
