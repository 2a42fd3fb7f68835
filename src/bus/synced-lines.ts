import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** An append-only file of JSON lines, each synced to disk before its append resolves. */
export interface SyncedLines<T> {
  append(entry: T): Promise<void>;
  close(): Promise<void>;
}

/**
 * Where dead letters of the embedded mode go, so a refused event is never only in memory: one JSON line per
 * entry, appended and `fdatasync`-ed before `append` resolves, appends in call order. The file (and its
 * directory) is made on the first append; when that fails, the next append tries again.
 */
export function syncedLines<T>(path: string): SyncedLines<T> {
  let handle: Promise<FileHandle> | undefined;
  let tail: Promise<void> = Promise.resolve();
  const opened = (): Promise<FileHandle> => {
    if (handle) return handle;
    const opening = (async () => {
      await mkdir(dirname(path), { recursive: true });
      return open(path, 'a');
    })();
    handle = opening;
    // A failed open is tried again by the next append, not kept as the file's fate.
    opening.catch(() => {
      if (handle === opening) handle = undefined;
    });
    return opening;
  };
  return {
    append(entry) {
      const line = `${JSON.stringify(entry)}\n`;
      const next = tail.then(async () => {
        const fh = await opened();
        await fh.appendFile(line);
        await fh.datasync();
      });
      tail = next.catch(() => undefined);
      return next;
    },
    async close() {
      await tail;
      const fh = await handle?.catch(() => undefined);
      handle = undefined;
      await fh?.close().catch(() => undefined);
    },
  };
}
