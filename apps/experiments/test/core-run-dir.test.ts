import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHECKPOINT_FORMAT, type CheckpointMeta } from '../src/checkpoint/meta';
import { saveCheckpoint } from '../src/checkpoint/store';
import { ExperimentsError } from '../src/config/errors';
import { ioError } from '../src/io-error';
import { RunLog, readLog, writeFileAtomic } from '../src/run-dir';
import { acquireRunLock } from '../src/run-lock';

/** errno that the next `writeSync` calls fail with (null: write normally). */
const failing = vi.hoisted(() => ({ code: null as string | null }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    writeSync: (...args: Parameters<typeof fs.writeSync>) => {
      if (failing.code !== null) {
        throw Object.assign(new Error(`${failing.code}: simulated, write`), { code: failing.code });
      }
      return (fs.writeSync as (...a: unknown[]) => number)(...args);
    },
  };
});

afterEach(() => {
  failing.code = null;
});

const dir = () => mkdtempSync(join(tmpdir(), 'vqkit-run-dir-'));

describe('I/O errors name the path and the errno (issue 11 #8)', () => {
  it.each([
    ['ENOENT', 2, 'no such file or directory'],
    ['ENOTDIR', 2, 'a part of the path is a file, not a folder'],
    ['EACCES', 2, 'permission denied'],
    ['EROFS', 2, 'read-only file system'],
    ['ENOSPC', 1, 'no space left on device'],
    ['EIO', 1, 'input/output error'],
  ])('%s → exit %i, "%s"', (code, exitCode, meaning) => {
    const mapped = ioError(
      Object.assign(new Error('x'), { code }),
      'train: cannot write',
      '/r/c.json',
    );
    expect(mapped).toBeInstanceOf(ExperimentsError);
    expect((mapped as ExperimentsError).exitCode).toBe(exitCode);
    expect((mapped as Error).message).toContain(
      `train: cannot write /r/c.json: ${code} (${meaning}).`,
    );
  });

  it('passes errors without an errno through unchanged', () => {
    const plain = new TypeError('not I/O');
    expect(ioError(plain, 'x', '/p')).toBe(plain);
  });

  it('disk full while a checkpoint is written: exit 1 naming the file and ENOSPC, no *.tmp-* left, the previous checkpoint intact', () => {
    const root = dir();
    const meta: CheckpointMeta = {
      format: CHECKPOINT_FORMAT,
      run: 'r',
      architecture: 'single',
      step: 1,
      epoch: 0,
      stepInEpoch: 1,
      valMse: null,
      learningRate: 1e-3,
      data: { epoch: 0, batch: 1, seed: 0, length: 8, batchSize: 4 },
      dataSettings: {},
      reason: 'interval',
      progress: { bestValMse: null, loggedSkips: [] },
      optimizer: { names: [], accBeta: [0.9, 0.999] },
      quantizers: {},
      savedAt: '2026-01-01T00:00:00Z',
    };
    const tensors = {
      'model/w': { dtype: 'F32' as const, shape: [2], data: new Float32Array([1, 2]) },
    };
    const first = saveCheckpoint(root, tensors, meta);
    const bytes = readFileSync(first);
    failing.code = 'ENOSPC';
    let error: unknown;
    try {
      saveCheckpoint(root, tensors, { ...meta, step: 2, stepInEpoch: 2 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExperimentsError);
    expect((error as ExperimentsError).exitCode).toBe(1);
    expect((error as Error).message).toMatch(
      /cannot write .*step-00000002\.safetensors: ENOSPC \(no space left on device\)\. Free some disk space/,
    );
    expect(readdirSync(root)).toEqual(['step-00000001.safetensors']);
    expect(readFileSync(first).equals(bytes)).toBe(true);
  });

  it('writeFileAtomic into a path under a file: exit 2, EEXIST or ENOTDIR', () => {
    const root = dir();
    writeFileSync(join(root, 'file'), 'x');
    expect(() => writeFileAtomic(join(root, 'file', 'config.json'), '{}')).toThrow(
      /config\.json: (EEXIST \(a file exists where a folder is needed\)|ENOTDIR)/,
    );
  });
});

describe('run log', () => {
  it('starts on a new line after a torn last line (issue 11 #12)', () => {
    const path = join(dir(), 'log.jsonl');
    new RunLog(path).write({ type: 'start' });
    appendFileSync(path, '{"type":"step","lo');
    const log = new RunLog(path);
    log.write({ type: 'resume' });
    log.write({ type: 'step' });
    expect(readLog(path).map((r) => r.type)).toEqual(['start', 'resume', 'step']);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(5);
  });
});

describe('run-dir lock (issue 11 #2)', () => {
  it('is exclusive while held, released after, and records pid, host and start time', () => {
    const root = join(dir(), 'run');
    const lock = acquireRunLock(root, 'train');
    expect(lock.createdRoot).toBe(true);
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({
      pid: process.pid,
      command: 'train',
    });
    expect(() => acquireRunLock(root, 'eval')).toThrow(
      /eval: .* is in use by pid \d+ \(vqkit train/,
    );
    lock.release();
    const again = acquireRunLock(root, 'eval');
    expect(again.createdRoot).toBe(false);
    again.release();
    expect(readdirSync(root)).toEqual([]);
  });

  it('an unreadable lock file is reported, not taken over', () => {
    const root = dir();
    writeFileSync(join(root, 'vqkit.lock'), '');
    expect(() => acquireRunLock(root, 'train')).toThrow(
      /not a readable vqkit lock .* delete .*vqkit\.lock/,
    );
  });
});
