import type { Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';

interface Entry {
  readonly body: Buffer;
  /** Validators of the file the body came from: any change on disk makes the entry stale. */
  readonly mtimeMs: number;
  readonly size: number;
  readonly ino: number;
}

export interface Cached {
  readonly body: Buffer;
  /** True when served from memory, false when read (or compressed) for this request. */
  readonly hit: boolean;
}

/**
 * Small files and their compressed variants in memory, bounded by bytes (not by entry count, which would let a
 * few large files take all the memory). Every lookup is checked against a fresh `stat` of the file (mtime,
 * size and inode, so an in-place edit and an atomic rename both show), so an edited file is served fresh on
 * the next request without any watcher.
 */
export class FileCache {
  private readonly lru: LRUCache<string, Entry> | undefined;
  private readonly pending = new Map<string, Promise<Buffer>>();

  constructor(readonly maxBytes: number, readonly maxFileSize: number) {
    this.lru = maxBytes > 0 ? new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (e) => Math.max(1, e.body.length) }) : undefined;
  }

  /** Whether a file of this size is served from memory at all. */
  holds(size: number): boolean {
    return this.lru !== undefined && size <= this.maxFileSize && size <= this.maxBytes;
  }

  /** The file's bytes. */
  content(path: string, stat: Stats): Promise<Cached> {
    return this.get(`${path}\0identity`, stat, async () => {
      const body = await readFile(path);
      // Changed between stat and read: serve what was read, but do not cache it under the old validators.
      if (body.length !== stat.size) throw new ChangedWhileReading(body);
      return body;
    });
  }

  /** A variant derived from the file (a compressed body), built once per file version. */
  variant(path: string, stat: Stats, name: string, build: () => Promise<Buffer>): Promise<Cached> {
    return this.get(`${path}\0${name}`, stat, build);
  }

  private async get(key: string, stat: Stats, build: () => Promise<Buffer>): Promise<Cached> {
    const entry = this.lru?.get(key);
    if (entry && entry.mtimeMs === stat.mtimeMs && entry.size === stat.size && entry.ino === stat.ino) return { body: entry.body, hit: true };
    const version = `${key}\0${stat.mtimeMs}\0${stat.size}\0${stat.ino}`;
    // Concurrent misses for the same version share one read or compression.
    let work = this.pending.get(version);
    if (!work) {
      work = build().finally(() => this.pending.delete(version));
      this.pending.set(version, work);
      work.then(
        (body) => this.lru?.set(key, { body, mtimeMs: stat.mtimeMs, size: stat.size, ino: stat.ino }),
        () => undefined,
      );
    }
    try {
      return { body: await work, hit: false };
    } catch (err) {
      if (err instanceof ChangedWhileReading) return { body: err.body, hit: false };
      throw err;
    }
  }
}

class ChangedWhileReading extends Error {
  constructor(readonly body: Buffer) {
    super('file changed while it was read');
  }
}
