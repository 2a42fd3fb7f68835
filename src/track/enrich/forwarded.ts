/**
 * Parsing of the two forwarding headers into the list of client addresses they claim, left (farthest) to right
 * (nearest). Entries are returned as written; the resolver decides what is valid.
 */

/** X-Forwarded-For: a comma-separated list of addresses, each appended by one proxy. */
export function parseXForwardedFor(value: string): string[] {
  return value.split(',').map((entry) => entry.trim());
}

/**
 * RFC 7239 `Forwarded` (https://www.rfc-editor.org/rfc/rfc7239#section-4): comma-separated elements of
 * `;`-separated pairs, values possibly quoted. Each element yields its `for=` value, or '' when it has none,
 * so that a hop that did not name its client stops the walk instead of being skipped.
 */
export function parseForwardedFor(value: string): string[] {
  return parseForwardedParam(value, 'for');
}

/** The `name=` value of each `Forwarded` element ('' when an element has none), left to right. */
export function parseForwardedParam(value: string, name: 'for' | 'proto'): string[] {
  return splitOutsideQuotes(value, ',').map((element) => {
    for (const pair of splitOutsideQuotes(element, ';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      if (pair.slice(0, eq).trim().toLowerCase() !== name) continue;
      return unquote(pair.slice(eq + 1).trim());
    }
    return '';
  });
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && quoted) i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  return value.slice(1, -1).replace(/\\(.)/g, '$1');
}
