/** `new URL(input, base)`, or undefined when the input is not a URL: `URL.parse` parses once and does not throw. */
export function parseUrl(input: string, base?: string): URL | undefined {
  return URL.parse(input, base) ?? undefined;
}
