/**
 * `new URL(input, base)`, or undefined when the input is not a URL. One parse: `URL.canParse` followed by
 * `new URL` parses a valid URL twice, and on the tracking path nearly every URL is valid. (Node 22 has
 * `URL.parse` for this; Node 20 does not.)
 */
export function parseUrl(input: string, base?: string): URL | undefined {
  try {
    return new URL(input, base);
  } catch {
    return undefined;
  }
}
