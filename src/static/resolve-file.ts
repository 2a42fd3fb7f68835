import { realpathSync, statSync, type Stats } from 'node:fs';
import { join, sep } from 'node:path';

export type Lookup =
  | { readonly kind: 'file'; readonly path: string; readonly stat: Stats }
  | { readonly kind: 'directory' }
  | { readonly kind: 'missing' }
  /** The path exists but resolves (through a symlink) outside the root: refused, never served. */
  | { readonly kind: 'outside' };

/**
 * Finds `segments` under `root` on disk. Symlinks are followed, and the real path must still lie inside the
 * real root: a link inside the site to another site file is served, a link to /etc/passwd is not. The root is
 * resolved on every request, not once, so a deploy that swaps a `www -> releases/v2` symlink takes effect at
 * once. Only regular files are served (no FIFOs or devices).
 *
 * The calls are synchronous, as nginx's are: on a local file system they take a few microseconds from the kernel's
 * caches, where three trips through libuv's thread pool cost ~30% of a static response's CPU.
 */
export async function lookup(root: string, segments: readonly string[]): Promise<Lookup> {
  const realRoot = realPath(root);
  const real = realPath(join(root, ...segments));
  if (realRoot === undefined || real === undefined) return { kind: 'missing' };
  if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) return { kind: 'outside' };
  const info = statOf(real);
  if (info?.isDirectory()) return { kind: 'directory' };
  if (info?.isFile()) return { kind: 'file', path: real, stat: info };
  return { kind: 'missing' };
}

/** The first index file of a directory, with the segments it was found under (for Cache-Control rules). */
export async function lookupIndex(
  root: string,
  segments: readonly string[],
  index: readonly string[],
): Promise<{ kind: 'found'; file: Extract<Lookup, { kind: 'file' }>; segments: string[] } | Extract<Lookup, { kind: 'outside' }> | undefined> {
  for (const name of index) {
    const found = await lookup(root, [...segments, name]);
    if (found.kind === 'file') return { kind: 'found', file: found, segments: [...segments, name] };
    if (found.kind === 'outside') return found;
  }
  return undefined;
}

/**
 * A sibling such as `app.js.br` next to the requested file, used only when it is a regular file inside the root
 * (the same symlink check) and at least as new as the file: a stale build artefact is never preferred.
 */
export async function freshSibling(root: string, segments: readonly string[], suffix: string, source: Stats): Promise<Extract<Lookup, { kind: 'file' }> | undefined> {
  const last = segments[segments.length - 1];
  if (last === undefined) return undefined;
  const found = await lookup(root, [...segments.slice(0, -1), last + suffix]);
  if (found.kind !== 'file' || found.stat.mtimeMs < source.mtimeMs) return undefined;
  return found;
}

function realPath(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined; // missing, not a directory on the way, a loop: nothing to serve
  }
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined; // not readable: nothing to serve
  }
}
