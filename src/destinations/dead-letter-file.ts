import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One line of a destination's dead-letter file. */
export interface DeadLetterEntry {
  readonly at: string;
  readonly destination: string;
  readonly id: string;
  readonly reason: string;
  /** The event as stored (Gatehouse JSON), so it can be inspected and re-sent. */
  readonly event: unknown;
}

export interface DeadLetterFile {
  append(entry: DeadLetterEntry): Promise<void>;
  close(): Promise<void>;
}

/**
 * Embedded mode's dead letters: JSON lines appended and synced before the event is acked, so a refused event
 * is never only in memory. (With NATS they go to the dead-letter subject instead.)
 */
export function deadLetterFile(path: string): DeadLetterFile {
  let handle: Promise<FileHandle> | undefined;
  let tail: Promise<void> = Promise.resolve();
  const opened = () =>
    (handle ??= (async () => {
      await mkdir(dirname(path), { recursive: true });
      return open(path, 'a');
    })());
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
      if (handle) await (await handle).close().catch(() => undefined);
      handle = undefined;
    },
  };
}
