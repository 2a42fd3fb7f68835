/**
 * Request headers as Node gives them (`IncomingHttpHeaders`): lower-case names, a repeated header either joined
 * or as an array. Enrichment reads them through this one helper so every module treats repeats the same way.
 */
export type HeaderMap = Readonly<Record<string, string | string[] | undefined>>;

/** The value of `name` (lower case), repeats joined with ", " as RFC 9110 §5.3 allows for list headers. */
export function headerValue(headers: HeaderMap | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}
