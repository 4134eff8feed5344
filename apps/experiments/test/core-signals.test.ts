import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/checkpoint/file';
import { listCheckpoints } from '../src/checkpoint/store';
import { readLog } from '../src/run-dir';
import { makeDataset, tinyConfig } from './core-helpers';

const appDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs the real CLI (through tsx) in a child process. */
function cli(args: string[]): {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: string | null; stderr: string }>;
} {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(appDir, 'src', 'cli.ts'), ...args],
    {
      cwd: appDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>(
    (resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
    },
  );
  return { child, exit };
}

/** Resolves once the child's stderr shows a progress line for `step` or later. */
function waitForStep(child: ChildProcess, step: number): Promise<void> {
  return new Promise((resolve) => {
    child.stderr!.on('data', (d) => {
      for (const m of String(d).matchAll(/step (\d+)\//g)) if (Number(m[1]) >= step) resolve();
    });
  });
}

let data: Awaited<ReturnType<typeof makeDataset>>;
let configFile: string;

beforeAll(async () => {
  data = await makeDataset();
  configFile = join(data.root, 'long.json');
  // Long enough that the signals always arrive mid-run: 20 epochs × 3 steps.
  writeFileSync(
    configFile,
    JSON.stringify(
      tinyConfig(data, {
        train: { epochs: 20, stepsPerEpoch: 3, batchSize: 4, logEvery: 1, keepLast: 2 },
      }),
    ),
  );
});

describe('signals (real CLI process)', () => {
  it('SIGTERM finishes the step, writes a checkpoint and exits 143; SIGKILL leaves the last checkpoint loadable', async () => {
    const runDir = join(data.root, 'runs', 'signals');
    const first = cli(['train', '--config', configFile, '--run-dir', runDir, '--backend', 'cpu']);
    await waitForStep(first.child, 2);
    first.child.kill('SIGTERM');
    const ended = await first.exit;
    expect(ended.stderr).toContain('SIGTERM: finishing the current step');
    expect(ended.code).toBe(143);
    const log = readLog(join(runDir, 'log.jsonl'));
    const stop = log.find((r) => r.type === 'stop')!;
    expect(stop.reason).toBe('SIGTERM');
    const afterTerm = listCheckpoints(join(runDir, 'checkpoints')).at(-1)!;
    // Mid-epoch the stop writes a 'signal' checkpoint; on an epoch's last step the epoch checkpoint serves.
    expect(['signal', 'epoch']).toContain(afterTerm.meta.reason);
    expect(afterTerm.step).toBe(stop.step);

    // Resume, then SIGKILL mid-run: whatever moment it lands, the newest checkpoint is complete.
    const second = cli(['train', '--resume', '--run-dir', runDir, '--backend', 'cpu']);
    await waitForStep(second.child, afterTerm.step + 5);
    second.child.kill('SIGKILL');
    const killed = await second.exit;
    expect(killed.signal).toBe('SIGKILL');
    const entries = listCheckpoints(join(runDir, 'checkpoints'));
    expect(entries.at(-1)!.step).toBeGreaterThan(afterTerm.step);
    for (const entry of entries) expect(readCheckpoint(entry.path).meta.step).toBe(entry.step);
  });
});
