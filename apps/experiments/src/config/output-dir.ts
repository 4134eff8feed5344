import { mkdirSync, statSync } from 'node:fs';
import { ExperimentsError, inputError } from './errors';

/** The errno code of a Node.js file-system error, or 'unknown error'. */
export function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
}

/**
 * Creates the output folder `path` (and its parents) for `flag`, or explains why it cannot be one.
 * A path that is a file, lies under a file, or cannot be created (EACCES, EROFS, ENOSPC…) is bad
 * input: the message names the flag, the path, the errno and the fix.
 *
 * @throws ExperimentsError (exit 2).
 */
export function ensureOutputDir(path: string, flag: string): string {
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isFile()) {
      throw inputError(
        `${flag} '${path}' is a file (ENOTDIR), expected a folder. Pass a folder path (it is created if missing).`,
      );
    }
    mkdirSync(path, { recursive: true });
    return path;
  } catch (error) {
    if (error instanceof ExperimentsError) throw error;
    const code = errnoOf(error);
    const why =
      code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a part of it is a file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EROFS'
            ? 'read-only file system'
            : code === 'ENOSPC'
              ? 'no space left on the device'
              : (error as Error).message;
    throw inputError(
      `${flag} '${path}' cannot be created as a folder (${code}: ${why}). Choose a writable folder path.`,
      error,
    );
  }
}
