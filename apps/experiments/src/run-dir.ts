import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inputError } from './config/errors';
import { ioError, withIo } from './io-error';

/** The files of a run directory (all paths absolute or relative to the cwd, as given). */
export interface RunPaths {
  root: string;
  /** The resolved config (written once, read back by `eval` and `--resume`). */
  config: string;
  /** One JSON record per line: start, step, epoch, reset, skipped, checkpoint, stop, end. */
  log: string;
  checkpoints: string;
  /** Written when training finished. */
  trainSummary: string;
  /** Written by `vqkit eval` (schema `vqkit.metrics/1`). */
  metrics: string;
  samples: string;
  /** Held while a process writes into the run (see `acquireRunLock`). */
  lock: string;
}

/** Paths of the run directory `root`. */
export function runPaths(root: string): RunPaths {
  return {
    root,
    config: join(root, 'config.json'),
    log: join(root, 'log.jsonl'),
    checkpoints: join(root, 'checkpoints'),
    trainSummary: join(root, 'train-summary.json'),
    metrics: join(root, 'metrics.json'),
    samples: join(root, 'samples'),
    lock: join(root, 'vqkit.lock'),
  };
}

/** Temp-file suffix used by {@link writeFileAtomic}; anything ending in it is an unfinished write. */
export const TEMP_MARKER = '.tmp-';

/**
 * Writes `data` to `path` atomically: the bytes go to `path.tmp-<pid>-<random>` first, are flushed
 * to disk (fsync), and the temp file is renamed over `path`; the directory is fsynced too. A crash
 * (even SIGKILL) at any moment leaves either the old file or the new one, never a torn file; at
 * worst a stray temp file remains, which every reader here ignores. A failing write (disk full,
 * read-only folder) removes its temp file and throws the app's error naming the path and errno.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const temp = `${path}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeAndSync(temp, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    renameSync(temp, path);
  } catch (error) {
    removeQuietly(temp);
    throw ioError(error, 'cannot write', path);
  }
  syncDirectory(dirname(path));
}

/** Removes a file if it exists; a failure to remove it is not worth hiding the original error. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // e.g. ENOTDIR when the parent is a file: then there is no temp file to remove either
  }
}

function writeAndSync(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'wx');
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes JSON (2-space indented, trailing newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads a JSON file, or throws an input error naming the file and what is wrong. */
export function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) {
    throw inputError(
      `${what}: ${path} does not exist. Check the --run directory (it must hold a trained run).`,
    );
  }
  const text = withIo(`${what}: cannot read`, path, () => readFileSync(path, 'utf8'));
  try {
    return JSON.parse(text);
  } catch (error) {
    throw inputError(
      `${what}: ${path} is not valid JSON (${(error as Error).message}). Restore it from a backup or retrain.`,
    );
  }
}

/** One record of `log.jsonl`; every record has `type` and an ISO `time`. */
export type LogRecord = { type: string } & Record<string, unknown>;

/**
 * Append-only JSONL run log. Each record is written with a single `appendFileSync` call, so a crash
 * can cut at most the last line; {@link readLog} skips such a torn line, and the first record this
 * log appends starts on a new line, so a torn line never swallows it.
 */
export class RunLog {
  private lineStartChecked = false;

  constructor(readonly path: string) {
    withIo('cannot create the folder of', path, () =>
      mkdirSync(dirname(path), { recursive: true }),
    );
  }

  write(record: LogRecord): void {
    const line = JSON.stringify({ ...record, time: new Date().toISOString() }, jsonReplacer);
    withIo('cannot append to', this.path, () => {
      const prefix = this.lineStartChecked || endsWithNewline(this.path) ? '' : '\n';
      appendFileSync(this.path, `${prefix}${line}\n`);
    });
    this.lineStartChecked = true;
  }
}

/** True when `path` is missing, empty, or its last byte is a newline. */
function endsWithNewline(path: string): boolean {
  if (!existsSync(path)) return true;
  const size = statSync(path).size;
  if (size === 0) return true;
  const fd = openSync(path, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** JSON.stringify replacer: non-finite numbers become strings ('NaN', 'Infinity') instead of null. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/** Every complete record of a run log (a torn last line from a crash is ignored). */
export function readLog(path: string): LogRecord[] {
  if (!existsSync(path)) return [];
  const out: LogRecord[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  for (const line of lines) {
    if (line.trim().length === 0) continue;
    try {
      out.push(JSON.parse(line) as LogRecord);
    } catch {
      // A line cut by a crash mid-write; the records before it are intact.
    }
  }
  return out;
}

/**
 * The folder of the @vqkit/experiments package (holding package.json, assets/), found by walking up
 * from this module: works from `src/` (tests, tsx) and from `dist/` (the built CLI). Null if absent.
 */
export function experimentsPackageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string };
        if (parsed.name === '@vqkit/experiments') return dir;
      } catch {
        // not a readable package.json; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** Versions recorded in the run log: node, tfjs-core, and every @vqkit package the app depends on. */
export function softwareVersions(tfjsCore: string): Record<string, string> {
  const out: Record<string, string> = { node: process.version, '@tensorflow/tfjs-core': tfjsCore };
  const root = experimentsPackageRoot();
  if (root === null) return out;
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      version?: string;
      dependencies?: Record<string, string>;
    };
    out['@vqkit/experiments'] = pkg.version ?? 'unknown';
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      if (!name.startsWith('@vqkit/')) continue;
      const local = join(
        root,
        '..',
        '..',
        'packages',
        name.slice('@vqkit/'.length),
        'package.json',
      );
      const installed = join(root, 'node_modules', ...name.split('/'), 'package.json');
      for (const candidate of [installed, local]) {
        if (!existsSync(candidate)) continue;
        try {
          out[name] =
            (JSON.parse(readFileSync(candidate, 'utf8')) as { version?: string }).version ??
            'unknown';
          break;
        } catch {
          // unreadable; try the next location
        }
      }
    }
  } catch {
    // versions are informational; a missing package.json must not stop a run
  }
  return out;
}
