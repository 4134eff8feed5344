import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runtimeError } from '../config/errors';
import type { RunConfig } from '../config/schema';
import { experimentsPackageRoot } from '../run-dir';
import { DAWN_LIMIT_NOTE, DAWN_LIMIT_WARNING, resolveChildBackend } from './child-backend';
import { type CellOutcome, cellDir, finishedOutcome, type RunCellsOptions } from './run-cells';
import type { SweepCell } from './sweep-cell';

/** How a child process starts the vqkit CLI. */
export interface ChildCommand {
  /** Executable and leading arguments; the sweep arguments follow. */
  argv: string[];
  /** Extra environment variables. */
  env: Record<string, string>;
}

/**
 * The command that runs this installation's CLI in a child: `node <root>/bin/vqkit.js` when built,
 * `node --import tsx <root>/src/cli.ts` when running from source (tests, `npx tsx`).
 */
export function vqkitChildCommand(): ChildCommand {
  const root = experimentsPackageRoot();
  if (root === null)
    throw runtimeError('sweep --jobs: cannot find the @vqkit/experiments package.');
  if (fileURLToPath(import.meta.url).endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return {
      argv: [process.execPath, '--import', tsx, join(root, 'src', 'cli.ts')],
      env: { TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') },
    };
  }
  return { argv: [process.execPath, join(root, 'bin', 'vqkit.js')], env: {} };
}

/** Options of {@link runCellsInParallel}. */
export interface ParallelOptions extends Omit<RunCellsOptions, 'train' | 'evaluate'> {
  /** Cells run at once, each in its own process. */
  jobs: number;
  /** A cells manifest holding every cell (each child reads its own cell from it). */
  manifest: string;
  /** How children start vqkit. @default vqkitChildCommand() */
  command?: ChildCommand;
}

/** Relative cost of a cell, to start the longest first: pixels × images seen. */
export function cellCost(config: RunConfig): number {
  const perEpoch =
    config.train.stepsPerEpoch ??
    Math.ceil((config.data.cropsPerEpoch ?? 1024) / config.train.batchSize);
  return config.data.size ** 2 * config.train.epochs * perEpoch * config.train.batchSize;
}

interface Running {
  child: ChildProcess;
  done: Promise<CellOutcome>;
}

/** Lines of a stream, each passed to `onLine` as it completes. */
function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let rest = '';
  stream?.on('data', (chunk: Buffer | string) => {
    const parts = (rest + String(chunk)).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) if (p.trim() !== '') onLine(p);
  });
  stream?.on('end', () => {
    if (rest.trim() !== '') onLine(rest);
  });
}

/** A finished child's status: trained/evaluated (metrics.json written), interrupted, or failed. */
function exitOutcome(
  code: number | null,
  signal: NodeJS.Signals | null,
  dir: string,
  hadSummary: boolean,
  tail: readonly string[],
): Pick<CellOutcome, 'status' | 'message'> {
  if (code === 0 && existsSync(join(dir, 'metrics.json')))
    return { status: hadSummary ? 'evaluated' : 'trained' };
  if (code === 130 || code === 143 || signal !== null)
    return {
      status: 'interrupted',
      message: `stopped (${signal ?? `exit ${code}`}); rerun to resume`,
    };
  const failed = tail.find((l) => l.includes('FAILED')) ?? tail.slice(-3).join(' | ');
  return { status: 'failed', message: `exit ${code}: ${failed}` };
}

/** What every child shares: how it starts, its `--backend`, and the log (Dawn's warnings said once). */
interface Children {
  command: ChildCommand;
  backend: string;
  log: (line: string) => void;
  /** Whether {@link DAWN_LIMIT_NOTE} was logged (Dawn's warnings are then dropped). */
  dawnExplained: boolean;
}

function startCell(
  cell: SweepCell,
  index: number,
  total: number,
  o: ParallelOptions,
  children: Children,
): Running {
  const dir = cellDir(o.runsDir, cell.id);
  const tag = `[${index + 1}/${total}] ${cell.id}`;
  const hadSummary = existsSync(join(dir, 'train-summary.json'));
  const args = ['sweep', '--manifest', o.manifest, '--only', cell.id, '--runs-dir', o.runsDir];
  args.push('--backend', children.backend, '--quiet');
  const { command } = children;
  const [exe, ...lead] = command.argv;
  const child = spawn(exe!, [...lead, ...args], {
    env: { ...process.env, ...command.env, ...(o.jobs > 1 ? { VQKIT_CPU_THREADS: '1' } : {}) },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true, // its own process group: a terminal's Ctrl-C reaches it once, through us
  });
  const tail: string[] = [];
  lines(child.stderr, (line) => {
    const own = line.replace(/^\[1\/1\] /, '');
    if (DAWN_LIMIT_WARNING.test(own)) {
      if (!children.dawnExplained) children.log(DAWN_LIMIT_NOTE);
      children.dawnExplained = true;
      return;
    }
    children.log(
      own.startsWith(`${cell.id}:`) ? `[${index + 1}/${total}] ${own}` : `${tag}: ${line}`,
    );
    tail.push(line);
    if (tail.length > 20) tail.shift();
  });
  const started = performance.now();
  const done = new Promise<CellOutcome>((resolve) => {
    child.on('error', (error) =>
      resolve({
        id: cell.id,
        dir,
        status: 'failed',
        seconds: 0,
        message: `cannot start vqkit: ${error.message}`,
      }),
    );
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      resolve({ id: cell.id, dir, seconds, ...exitOutcome(code, signal, dir, hadSummary, tail) });
    });
  });
  return { child, done };
}

/**
 * Runs cells `jobs` at a time, each in a child process (`vqkit sweep --manifest … --only <id>`, which
 * trains, evaluates, resumes or skips exactly as in-process), longest first; finished cells are
 * skipped here. With more than one job each child gets `VQKIT_CPU_THREADS=1`, so the jobs share
 * the cores instead of oversubscribing them. `--backend auto` is resolved once, before the first
 * child starts (`vqkit backend --json`, see {@link resolveChildBackend}), and every child gets the
 * answer; Dawn's adapter-limit warnings are replaced by one line saying why they are harmless. An abort sends SIGINT once to every running child
 * (each checkpoints and stops) and starts no more; outcomes come back in cell order.
 */
export async function runCellsInParallel(
  cells: readonly SweepCell[],
  options: ParallelOptions,
): Promise<CellOutcome[]> {
  const o = { ...options, log: options.log ?? ((line: string) => console.error(line)) };
  const command = o.command ?? vqkitChildCommand();
  const outcomes: (CellOutcome | undefined)[] = cells.map((cell, i) => {
    const skipped = finishedOutcome(cell, cellDir(o.runsDir, cell.id));
    if (skipped !== null) o.log(`[${i + 1}/${cells.length}] ${cell.id}: ${skipped.message}`);
    return skipped ?? undefined;
  });
  const queue = cells
    .map((cell, i) => ({ cell, i }))
    .filter(({ i }) => outcomes[i] === undefined)
    .sort((a, b) => cellCost(b.cell.config) - cellCost(a.cell.config) || a.i - b.i);
  const children: Children = {
    command,
    backend: o.backend ?? 'auto',
    log: o.log,
    dawnExplained: false,
  };
  if (queue.length > 0 && !o.signal?.aborted) {
    const resolved = await resolveChildBackend(o.backend, command);
    children.backend = resolved.backend;
    children.dawnExplained = resolved.dawnExplained;
    for (const line of resolved.lines) o.log(line);
  }
  const running = new Map<number, Running>();
  const stopAll = () => {
    for (const r of running.values()) r.child.kill('SIGINT');
  };
  const onExit = () => {
    for (const r of running.values()) r.child.kill('SIGTERM');
  };
  o.signal?.addEventListener('abort', stopAll, { once: true });
  process.on('exit', onExit);
  let failed = false;
  try {
    while (queue.length > 0 || running.size > 0) {
      while (
        running.size < Math.max(1, o.jobs) &&
        queue.length > 0 &&
        !o.signal?.aborted &&
        !(failed && o.failFast)
      ) {
        const { cell, i } = queue.shift()!;
        running.set(i, startCell(cell, i, cells.length, o, children));
      }
      if (running.size === 0) break;
      const [i, outcome] = await Promise.race(
        [...running].map(([i, r]) => r.done.then((x) => [i, x] as const)),
      );
      running.delete(i);
      outcomes[i] = outcome;
      if (outcome.status === 'failed') failed = true;
    }
  } finally {
    o.signal?.removeEventListener('abort', stopAll);
    process.off('exit', onExit);
  }
  return cells.map((cell, i) => {
    const dir = cellDir(o.runsDir, cell.id);
    const message = o.signal?.aborted
      ? 'sweep interrupted before this cell'
      : 'not started after a failure (--fail-fast)';
    return outcomes[i] ?? { id: cell.id, dir, status: 'interrupted', seconds: 0, message };
  });
}
