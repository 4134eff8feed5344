import { vi } from 'vitest';
import { main } from '../src/cli';

/** One in-process `vqkit` call: its exit code and what it printed. */
export interface CliRun {
  code: number;
  /** Everything written to stdout, and `console.log` lines. */
  out: string;
  /** Everything written to stderr. */
  err: string;
}

/**
 * Runs `vqkit <args…>` in-process (`main` of src/cli.ts) with stdout, stderr and `console.log`
 * captured instead of printed; they are restored afterwards, also when `main` throws.
 */
export async function runVqkit(...args: string[]): Promise<CliRun> {
  const run: CliRun = { code: -1, out: '', err: '' };
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    run.out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    run.err += String(chunk);
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    run.out += `${a.join(' ')}\n`;
  });
  try {
    run.code = await main(['node', 'vqkit', ...args]);
    return run;
  } finally {
    o.mockRestore();
    e.mockRestore();
    log.mockRestore();
  }
}

/** What the last {@link vqkit} call printed on stdout (and with `console.log`). */
export let out = '';
/** What the last {@link vqkit} call printed on stderr. */
export let err = '';

/**
 * {@link runVqkit} for tests that check the exit code inline — `expect(await vqkit(…)).toBe(2)` —
 * and then what was printed, in {@link out} and {@link err} (live bindings: import them).
 */
export async function vqkit(...args: string[]): Promise<number> {
  const run = await runVqkit(...args);
  out = run.out;
  err = run.err;
  return run.code;
}
