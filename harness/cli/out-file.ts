// Where `--out FILE` may write: a file whose folder exists. A folder given as the file used to
// leave `FILE.partial` behind (written, then the rename onto the folder failed); the commands
// now refuse it up front with a usage error naming the flag, and remove a `.partial` of a
// write that failed anyway.
import { existsSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Why `path` cannot be written as the output file, or undefined when it can. */
export function outFileProblem(path: string, flag: string, example: string): string | undefined {
  const full = resolve(path);
  if (existsSync(full) && statSync(full).isDirectory())
    return `${flag} ${path} is a folder: name a file, such as ${join(path, example)}`;
  const parent = dirname(full);
  if (!existsSync(parent)) return `${flag} ${path}: the folder ${parent} does not exist`;
  if (!statSync(parent).isDirectory()) return `${flag} ${path}: ${basename(parent)} is not a folder`;
  return undefined;
}

/** After a failed write: the half-written `.partial` beside `path` goes too. */
export function removePartial(path: string): void {
  rmSync(`${resolve(path)}.partial`, { force: true });
}
