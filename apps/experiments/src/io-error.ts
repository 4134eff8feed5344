import { ExperimentsError, inputError, runtimeError } from './config/errors';

/**
 * errno codes that mean the path itself is wrong (a file where a folder is expected, a missing
 * parent, no permission, a read-only file system): the user must choose another path, exit 2.
 */
const PATH_ERRNOS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EEXIST: 'a file exists where a folder is needed',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
};

/** errno codes of a failing device or system (exit 1): the path is fine, the write is not. */
const DEVICE_ERRNOS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};

/** The errno code of a Node.js file-system error, or null for anything else. */
export function errnoCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : null;
}

/**
 * Maps a file-system error to the app's typed error: the message names what was being done, the
 * path, the errno and its meaning, and the fix; exit 2 when the path is wrong (ENOENT, ENOTDIR,
 * EISDIR, EEXIST, EACCES, EPERM, EROFS, …), exit 1 when the device failed (ENOSPC, EIO, …).
 * Errors without an errno (and ExperimentsErrors) are returned unchanged.
 *
 * @param action - what failed, e.g. `train: cannot write` (the path follows it).
 * @param fix - the advice for a wrong path. @default 'Check the path and its permissions, or choose another one.'
 */
export function ioError(error: unknown, action: string, path: string, fix?: string): unknown {
  if (error instanceof ExperimentsError) return error;
  const code = errnoCode(error);
  if (code === null) return error;
  const meaning = PATH_ERRNOS[code] ?? DEVICE_ERRNOS[code] ?? (error as Error).message;
  const what = `${action} ${path}: ${code} (${meaning}).`;
  if (Object.hasOwn(PATH_ERRNOS, code)) {
    return inputError(
      `${what} ${fix ?? 'Check the path and its permissions, or choose another one.'}`,
      error,
    );
  }
  return runtimeError(
    `${what} ${code === 'ENOSPC' || code === 'EDQUOT' ? 'Free some disk space and rerun; no partial file was left behind.' : 'Check the device and rerun.'}`,
    error,
  );
}

/** Runs a synchronous file-system action, rethrowing its error through {@link ioError}. */
export function withIo<T>(action: string, path: string, run: () => T, fix?: string): T {
  try {
    return run();
  } catch (error) {
    throw ioError(error, action, path, fix);
  }
}
