import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { inputError } from './config/errors';
import { errnoCode, ioError, withIo } from './io-error';
import { runPaths } from './run-dir';

/** What a lock file holds: who writes into the run directory. */
export const lockInfoSchema = z.strictObject({
  pid: z.number().int().positive(),
  host: z.string(),
  startedAt: z.string(),
  command: z.string(),
});
export type LockInfo = z.output<typeof lockInfoSchema>;

/** A held run-directory lock; {@link RunLock.release} (or the process exiting) frees it. */
export interface RunLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Whether the run directory was created by taking the lock (it did not exist before). */
  readonly createdRoot: boolean;
  release(): void;
}

/**
 * Takes the run directory's lock (`<root>/vqkit.lock`, created with O_EXCL and holding pid, host,
 * start time and command), creating the directory if needed, so two processes never write into
 * one run. The lock is removed by {@link RunLock.release} and, should the process exit without
 * it (a second Ctrl-C), by an exit hook; after SIGKILL or a crash it stays and is reported as
 * stale — never silently taken over, since the dead run's last checkpoint deserves a look first.
 *
 * @throws ExperimentsError (exit 2): the directory is in use, has a stale lock, or cannot be
 *   created or written (naming the path and errno).
 */
export function acquireRunLock(root: string, command: string): RunLock {
  const path = runPaths(root).lock;
  const fix = 'Choose a writable --run-dir.';
  const createdRoot = withIo(
    `${command}: cannot create the run directory`,
    root,
    () => mkdirSync(root, { recursive: true }) !== undefined,
    fix,
  );
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    command,
  };
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') throw lockedError(root, path, command);
    throw ioError(error, `${command}: cannot create the lock file`, path, fix);
  }
  try {
    writeSync(fd, `${JSON.stringify(info)}\n`);
  } finally {
    closeSync(fd);
  }
  const onExit = () => removeIfOurs(path, info);
  process.on('exit', onExit);
  return {
    path,
    info,
    createdRoot,
    release() {
      process.off('exit', onExit);
      removeIfOurs(path, info);
    },
  };
}

/** Reads a lock file; null when it is unreadable or not a lock written by vqkit. */
export function readLockInfo(path: string): LockInfo | null {
  try {
    const parsed = lockInfoSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Whether process `pid` is running on this host (EPERM: it runs, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/** The error for a lock that exists: in use, stale (its process is gone), or unreadable. */
function lockedError(root: string, path: string, command: string) {
  const info = readLockInfo(path);
  const remove = `delete ${path} and rerun`;
  if (info === null) {
    return inputError(
      `${command}: ${root} is locked by ${path}, which is not a readable vqkit lock (a crash while it was written?). If no vqkit process uses this run directory, ${remove}.`,
    );
  }
  const holder = `pid ${info.pid} (vqkit ${info.command}, started ${info.startedAt}) on ${info.host}`;
  if (info.host !== hostname()) {
    return inputError(
      `${command}: ${root} is in use by ${holder}; two processes must not write into one run. If that process is gone, ${remove}.`,
    );
  }
  if (processAlive(info.pid)) {
    return inputError(
      `${command}: ${root} is in use by ${holder}; two processes must not write into one run. Wait for it to finish (or stop it with Ctrl-C), or choose another --run-dir.`,
    );
  }
  return inputError(
    `${command}: ${root} has a stale lock: ${holder} is no longer running (killed or crashed), and its last checkpoint is kept as it was. To continue, delete ${path}, then rerun (vqkit train --resume --run-dir ${root} continues the run).`,
  );
}

function removeIfOurs(path: string, info: LockInfo): void {
  const current = readLockInfo(path);
  if (current === null || current.pid !== info.pid || current.startedAt !== info.startedAt) return;
  try {
    rmSync(path, { force: true });
  } catch {
    // the run directory itself is gone or unwritable: nothing left to unlock
  }
}
