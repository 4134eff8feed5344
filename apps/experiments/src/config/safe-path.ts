import { isAbsolute, relative, resolve } from 'node:path';
import { SAFE_NAME } from './defaults';
import { inputError } from './errors';

/** True when `name` can name a folder: `[A-Za-z0-9._-]+`, and not `.` or `..`. */
export function isSafeName(name: unknown): name is string {
  return typeof name === 'string' && SAFE_NAME.test(name) && name !== '.' && name !== '..';
}

/**
 * Returns `name` when it can name a folder (see {@link isSafeName}).
 * @param what - how messages name it, e.g. `sweep --manifest x.json: cells[2].id`.
 * @throws ExperimentsError (exit 2) naming `what`, the rule and the value.
 */
export function assertSafeName(name: unknown, what: string): string {
  if (isSafeName(name)) return name;
  throw inputError(
    `${what} must be letters, digits, '.', '_' and '-' only, and not '.' or '..' (it names a folder), got ${JSON.stringify(name)}. Rename it, e.g. 'single-K8192-D8'.`,
  );
}

/** True when `path` is `root` or lies below it (both resolved; no `..` escape, no other drive). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * `root/name` for a user-given `name`, refused unless it is a safe folder name (so the path can
 * never leave `root`).
 * @throws ExperimentsError (exit 2) naming `what` and the value.
 */
export function childDir(root: string, name: unknown, what: string): string {
  const safe = assertSafeName(name, what);
  const path = resolve(root, safe);
  if (!isInside(root, path) || path === resolve(root)) {
    throw inputError(
      `${what} ${JSON.stringify(name)} would leave ${root}; use a plain folder name.`,
    );
  }
  return path;
}
