import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/checkpoint/file';
import { listCheckpoints } from '../src/checkpoint/store';
import { evaluateRun } from '../src/eval/evaluate';
import { readLog } from '../src/run-dir';

const appDir = fileURLToPath(new URL('..', import.meta.url));

interface Exit {
  code: number | null;
  signal: string | null;
  stderr: string;
}

/** Runs the real CLI (through tsx) in a child process. */
function cli(args: string[]): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(appDir, 'src', 'cli.ts'), ...args],
    { cwd: appDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  const exit = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, exit };
}

/** Resolves once the child's stderr shows a progress line of `unit` at `n` or later. */
function waitFor(child: ChildProcess, n: number, unit = 'step'): Promise<void> {
  const re = new RegExp(`${unit} (\\d+)/`, 'g');
  return new Promise((resolve) => {
    child.stderr!.on('data', (d) => {
      for (const m of String(d).matchAll(re)) if (Number(m[1]) >= n) resolve();
    });
  });
}

/**
 * The bundled photos at 16² (cpu reads resolve as microtasks and the crops need no decoding: the
 * case where a loop that never yields misses the signal), long enough that signals arrive mid-run.
 */
const DEMO = [
  '--config',
  'tiny',
  ...['data.size=16', 'model.single.channels=10', 'model.hierarchical.channels=8']
    .concat(['model.resChannels=8', 'data.cropsPerEpoch=32', 'train.batchSize=4'])
    .concat([
      'train.logEvery=1',
      'train.checkpointEvery=2',
      'train.epochs=200',
      'eval.images=100000',
    ])
    .flatMap((s) => ['--set', s]),
  '--backend',
  'cpu',
];

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vqkit-signals-'));
});

describe("signals (real CLI process, 'demo' photos)", () => {
  it('train: SIGINT finishes the step, checkpoints, exits 130; SIGKILL leaves the newest checkpoint loadable and a stale lock that is reported; eval: SIGTERM exits 143 writing nothing', async () => {
    const runDir = join(root, 'train');
    const first = cli(['train', ...DEMO, '--run-dir', runDir]);
    await waitFor(first.child, 2);
    first.child.kill('SIGINT');
    const ended = await first.exit;
    expect(ended.stderr).toContain('SIGINT: finishing the current step');
    expect(ended.code).toBe(130);
    const stop = readLog(join(runDir, 'log.jsonl')).find((r) => r.type === 'stop')!;
    expect(stop.reason).toBe('SIGINT');
    const afterInt = listCheckpoints(join(runDir, 'checkpoints')).at(-1)!;
    expect(['signal', 'epoch']).toContain(afterInt.meta.reason);
    expect(afterInt.step).toBe(stop.step);
    expect(existsSync(join(runDir, 'vqkit.lock'))).toBe(false);

    // Resume, then SIGKILL mid-run: whatever moment it lands, the newest checkpoint is complete.
    const second = cli(['train', '--resume', '--run-dir', runDir, '--backend', 'cpu']);
    await waitFor(second.child, afterInt.step + 5);
    second.child.kill('SIGKILL');
    expect((await second.exit).signal).toBe('SIGKILL');
    const entries = listCheckpoints(join(runDir, 'checkpoints'));
    expect(entries.at(-1)!.step).toBeGreaterThan(afterInt.step);
    for (const entry of entries) expect(readCheckpoint(entry.path).meta.step).toBe(entry.step);
    await expect(evaluateRun(runDir, { quiet: true })).rejects.toThrow(
      /has a stale lock: pid \d+ .* is no longer running/,
    );

    rmSync(join(runDir, 'vqkit.lock'));
    const evaluation = cli(['eval', '--run', runDir, '--backend', 'cpu']);
    await waitFor(evaluation.child, 8, 'images');
    evaluation.child.kill('SIGTERM');
    const evalEnded = await evaluation.exit;
    expect(evalEnded.code).toBe(143);
    expect(evalEnded.stderr).toMatch(
      /eval: stopped by SIGTERM after \d+ of 100000 images; nothing was written/,
    );
    expect(existsSync(join(runDir, 'metrics.json'))).toBe(false);
    expect(existsSync(join(runDir, 'vqkit.lock'))).toBe(false);
  });

  it('sweep: SIGTERM stops the current cell after its checkpoint, starts no further cell, exits 143', async () => {
    const runsDir = join(root, 'sweep');
    const sweep = cli(['sweep', '--grid', 'ablation', ...DEMO, '--runs-dir', runsDir]);
    await waitFor(sweep.child, 2);
    sweep.child.kill('SIGTERM');
    const ended = await sweep.exit;
    expect(ended.code).toBe(143);
    expect(ended.stderr).toContain('not started (interrupted)');
    const cells = readdirSync(runsDir).filter((n) => existsSync(join(runsDir, n, 'log.jsonl')));
    expect(cells).toHaveLength(1);
    const stop = readLog(join(runsDir, cells[0]!, 'log.jsonl')).find((r) => r.type === 'stop')!;
    expect(listCheckpoints(join(runsDir, cells[0]!, 'checkpoints')).at(-1)!.step).toBe(stop.step);
  });
});
