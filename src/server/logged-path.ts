import { isPiiName, REDACTED } from '../protocols/pii.js';

/**
 * A request path as the access log may keep it: no query string (it carries tracking fields and signatures), and
 * the value after any segment that names a personal identifier (REST tuples such as
 * `/tr/v1/email/victim%40example.com/ename/signup`) replaced, since the store itself keeps only their hashes.
 * Every path is treated so, not only tracking routes: a proxied or mistyped one can carry the same tuples.
 */
export function loggedPath(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.includes('/', 1)) return path;
  const segments = path.split('/');
  let changed = false;
  for (let i = 1; i < segments.length - 1; i++) {
    if (isPiiName(decoded(segments[i]!))) {
      segments[i + 1] = REDACTED;
      changed = true;
      i++;
    }
  }
  return changed ? segments.join('/') : path;
}

function decoded(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
