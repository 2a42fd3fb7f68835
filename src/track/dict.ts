/**
 * A map whose keys a client chose (query keys, params, properties). It has no prototype, so `__proto__`,
 * `constructor` or `toString` are keys like any other: an assignment cannot reach Object.prototype or be
 * silently ignored, and a lookup never finds an inherited function.
 */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A lookup table read with a client's key: only its own entries answer (never `constructor`, `toString`, ...). */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
