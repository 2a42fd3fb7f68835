import { readdir, readlink } from 'node:fs/promises';

/**
 * The files a process holds open that were deleted, as lsof shows them: /proc/<pid>/fd links whose target ends
 * in " (deleted)". A deleted file held open keeps its blocks allocated, so this is what a disk cannot get back.
 * `pathPart` keeps only targets containing it (a spool directory, `.seg`).
 */
export async function deletedOpenFiles(pid: number | 'self', pathPart = ''): Promise<string[]> {
  const dir = `/proc/${pid}/fd`;
  const found: string[] = [];
  for (const fd of await readdir(dir)) {
    // A descriptor closed between the listing and the read is simply gone.
    const target = await readlink(`${dir}/${fd}`).catch(() => '');
    if (target.endsWith(' (deleted)') && target.includes(pathPart)) found.push(target);
  }
  return found;
}
