/**
 * Turns a request URL into the path segments of a file under the root, or refuses it. Decoding happens here,
 * once, segment by segment: a decoded segment that still holds a separator ("%2f", "%5c", a raw "\"), a NUL
 * byte or is a dot-segment ("..", "%2e%2e") is refused rather than normalised, so no spelling of a path can
 * climb out of the root (the ways in are listed in OWASP's path traversal page). Empty inner segments ("a//b")
 * are refused too: one file, one URL.
 */

export type DotfilePolicy = 'deny' | 'ignore' | 'allow';

export type UrlPath =
  | { readonly kind: 'ok'; readonly segments: readonly string[]; readonly trailingSlash: boolean }
  /** 400: undecodable escapes; 403: a traversal attempt or a denied dotfile; 404: an ignored dotfile. */
  | { readonly kind: 'refused'; readonly status: 400 | 403 | 404 };

const SEPARATOR_OR_NUL = /[/\\\0]/;

export function parseUrlPath(url: string, dotfiles: DotfilePolicy): UrlPath {
  const end = url.search(/[?#]/);
  const pathname = end === -1 ? url : url.slice(0, end);
  if (!pathname.startsWith('/')) return { kind: 'refused', status: 400 };
  const raw = pathname.slice(1).split('/');
  const trailingSlash = raw.length > 0 && raw[raw.length - 1] === '';
  if (trailingSlash) raw.pop();
  const segments: string[] = [];
  for (const part of raw) {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      return { kind: 'refused', status: 400 };
    }
    if (segment === '' || segment === '.' || segment === '..' || SEPARATOR_OR_NUL.test(segment)) return { kind: 'refused', status: 403 };
    segments.push(segment);
  }
  const dot = dotfileStatus(segments, dotfiles);
  if (dot) return { kind: 'refused', status: dot };
  return { kind: 'ok', segments, trailingSlash };
}

/** RFC 8615: /.well-known/ is public by definition (security.txt, ACME challenges served from files). */
function dotfileStatus(segments: readonly string[], policy: DotfilePolicy): 403 | 404 | undefined {
  if (policy === 'allow') return undefined;
  const hidden = segments.some((s, i) => s.startsWith('.') && !(i === 0 && s === '.well-known'));
  if (!hidden) return undefined;
  return policy === 'deny' ? 403 : 404;
}

/** The path relative to the root as used for Cache-Control rules and logs ("/docs/index.html"). */
export function sitePath(segments: readonly string[]): string {
  return `/${segments.join('/')}`;
}
