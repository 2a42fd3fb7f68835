import { constants } from 'node:fs';
import { link, open, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAll } from './segment-files.js';

/** The file the next segment is made from. Not a segment's name: listSegments and recovery never see it. */
export const STANDBY_NAME = 'next-segment.zeros';

/** Zeros written per call while preparing. */
const ZERO_CHUNK = 1024 * 1024;

/**
 * A standby is prepared only while the disk keeps this many segments of free space: it must never take the room
 * events need (on a nearly full disk a plain segment, which grows as it is written, is the better use of it).
 */
export const FREE_SEGMENTS_NEEDED = 4;

/**
 * The next segment, prepared ahead (spool.preallocate): a file of `bytes` zeros, written and synced in the
 * background. A group commit into such a file (O_DSYNC) overwrites blocks that already exist inside the file's size,
 * so the synced write is one disk write. Appending to a growing file also changes its size: a second write for the
 * inode (ext4 without a journal) or a journal commit (ext4, XFS). Measured in bench/HISTORY.md. Databases prepare
 * their logs the same way (PostgreSQL's zero-filled WAL segments).
 *
 * Its bytes are zeros, never an old segment's: a torn write in it leaves zeros after the tear, which recovery tells
 * from records (a recycled file could hold old records that still pass their CRC).
 */
export class SegmentStandby {
  private readonly path: string;
  private preparing: Promise<void> | undefined;
  private ready = false;

  constructor(
    dir: string,
    private readonly bytes: number,
    private readonly onFailure: (err: unknown) => void,
  ) {
    this.path = join(dir, STANDBY_NAME);
  }

  /** Starts preparing one in the background unless one is ready or under way; resolves when that is done. */
  prepare(): Promise<void> {
    if (this.ready) return Promise.resolve();
    this.preparing ??= this.make().finally(() => {
      this.preparing = undefined;
    });
    return this.preparing;
  }

  /**
   * Gives the prepared file the name `target` and returns true; false when none is ready (the caller creates a plain
   * segment). `link` fails when `target` exists, as the writer's O_EXCL open of a new segment would.
   */
  async take(target: string): Promise<boolean> {
    if (!this.ready) return false;
    this.ready = false;
    await link(this.path, target);
    // Left linked (the unlink failed), the name is removed before the next preparation creates its file.
    await unlink(this.path).catch((err: unknown) => this.onFailure(err));
    return true;
  }

  /** Waits for a preparation under way, then deletes the standby (at close, and for what a previous run left). */
  async discard(): Promise<void> {
    await this.preparing;
    this.ready = false;
    await removeIfThere(this.path).catch((err: unknown) => this.onFailure(err));
  }

  private async make(): Promise<void> {
    try {
      const disk = await statfs(join(this.path, '..'));
      if (disk.bavail * disk.bsize < this.bytes * FREE_SEGMENTS_NEEDED) return;
      // Only a name is removed: never open the standby's name with O_TRUNC, it may still name a segment.
      await removeIfThere(this.path);
      const handle = await open(this.path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666);
      try {
        const zeros = Buffer.alloc(Math.min(ZERO_CHUNK, this.bytes));
        for (let at = 0; at < this.bytes; at += zeros.length) {
          await writeAll(handle, zeros.subarray(0, Math.min(zeros.length, this.bytes - at)), at);
        }
        await handle.datasync();
      } finally {
        await handle.close();
      }
      this.ready = true;
    } catch (err) {
      await removeIfThere(this.path).catch(() => undefined);
      this.onFailure(err);
    }
  }
}

async function removeIfThere(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
