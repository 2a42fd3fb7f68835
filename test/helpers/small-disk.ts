import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readlinkSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { exited } from './cli.js';
import { waitFor } from './wait.js';

/**
 * A small disk, for real: a tmpfs of `bytes` mounted on `dir`, in a mount namespace of its own (in a user namespace,
 * so it needs no root and leaves no mount behind: it goes away with the namespace). A process started with
 * `launcher` in front of its command sees the tmpfs at `dir` and gets ENOSPC when it is full; everyone else sees
 * the plain directory. The namespace is held by a `sleep` process, stopped by PID in `stop()`, so the disk and its
 * files outlive the processes started on it (a restart on a full disk).
 */
export interface SmallDisk {
  readonly dir: string;
  /** Command prefix that runs a program inside the namespace (nsenter). */
  readonly launcher: readonly string[];
  /** Used and total bytes of the tmpfs. */
  usage(): { used: number; size: number };
  /** The path under which this process sees `sub` (relative to `dir`) of the tmpfs. */
  hostPath(sub?: string): string;
  /** Names and sizes of the files in the tmpfs directory `sub` (relative to `dir`). */
  files(sub?: string): Array<{ name: string; size: number }>;
  /** Takes the last free bytes with the file `name` (relative to `dir`), so the next block anyone asks for fails. */
  fill(name: string): number;
  stop(): Promise<void>;
}

export async function startSmallDisk(dir: string, bytes: number): Promise<SmallDisk> {
  mkdirSync(dir, { recursive: true });
  const holder: ChildProcess = spawn('unshare', ['--user', '--map-root-user', '--mount', '--propagation', 'private', 'sleep', 'infinity'], {
    stdio: 'ignore',
  });
  const pid = holder.pid;
  if (pid === undefined) throw new Error('unshare did not start');
  const stop = async () => {
    if (holder.exitCode === null && holder.signalCode === null) process.kill(pid, 'SIGKILL');
    await exited(holder);
  };
  try {
    const ownNs = readlinkSync('/proc/self/ns/mnt');
    await waitFor('the mount namespace', () => {
      if (holder.exitCode !== null) throw new Error(`unshare exited ${holder.exitCode}`);
      return readlinkSync(`/proc/${pid}/ns/mnt`) !== ownNs;
    });
    // Entering a mount namespace moves the working directory to its root; --wd keeps this process's.
    const launcher = ['nsenter', '-t', String(pid), '--user', '--mount', '--preserve-credentials', `--wd=${process.cwd()}`, '--'];
    const inside = (...command: string[]) => execFileSync(launcher[0]!, [...launcher.slice(1), ...command], { encoding: 'utf8' });
    inside('mount', '-t', 'tmpfs', '-o', `size=${bytes},mode=0777`, 'tmpfs', dir);
    // The holder's root is the namespace's view of the file system.
    const hostPath = (sub = '') => join(`/proc/${pid}/root`, dir, sub);
    return {
      dir,
      launcher,
      usage() {
        const [size, used] = inside('df', '--block-size=1', '--output=size,used', dir).trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
        return { used: used!, size: size! };
      },
      hostPath,
      files(sub = '') {
        const at = hostPath(sub);
        return readdirSync(at).map((name) => ({ name, size: statSync(join(at, name)).size }));
      },
      fill(name) {
        const fd = openSync(hostPath(name), 'a');
        const block = Buffer.alloc(512);
        let written = 0;
        try {
          for (;;) written += writeSync(fd, block);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        } finally {
          closeSync(fd);
        }
        return written;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
