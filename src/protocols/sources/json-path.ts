/**
 * Paths into a sender's JSON, written with dots: "context.page.url". A key may itself contain dots, as
 * OpenTelemetry-style attributes do ({"event.type": "click"}), so at each level the longest key present wins and
 * shorter splits are tried next: "event.type" finds {"event.type": x} as well as {"event": {"type": x}}.
 * Array elements are addressed by index ("items.0.sku").
 */

export interface Found {
  readonly value: unknown;
  /** The keys actually followed, so the caller knows which fields a rule consumed. */
  readonly keys: readonly string[];
}

export function findPath(root: unknown, path: string): Found | undefined {
  return walk(root, path.split('.'), []);
}

function walk(node: unknown, segments: readonly string[], keys: string[]): Found | undefined {
  if (segments.length === 0) return node === undefined || node === null ? undefined : { value: node, keys };
  if (typeof node !== 'object' || node === null) return undefined;
  const record = node as Record<string, unknown>;
  for (let take = segments.length; take >= 1; take--) {
    const key = segments.slice(0, take).join('.');
    if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
    const found = walk(record[key], segments.slice(take), [...keys, key]);
    if (found) return found;
  }
  return undefined;
}

/** A path's identity for "already consumed" checks (keys may contain dots, so they are joined with NUL). */
export function keyPath(keys: readonly string[]): string {
  return keys.join('\u0000');
}
