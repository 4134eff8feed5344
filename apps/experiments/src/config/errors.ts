/**
 * The one error class of @vqkit/experiments. The message names the command, option or config key,
 * what was expected, what was got, and how to fix it. `exitCode` is what the CLI exits with:
 * 2 for bad input (config, flags, unmatched pair), 1 for a failure while running (non-finite loss,
 * unreadable checkpoint, I/O).
 */
export class ExperimentsError extends Error {
  override name = 'ExperimentsError';
  /** Process exit code the CLI uses for this error: 2 = bad input, 1 = runtime failure. */
  readonly exitCode: 1 | 2;

  constructor(message: string, exitCode: 1 | 2 = 2, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** Bad input: a config, flag or file the user must fix (exit code 2). */
export function inputError(message: string, cause?: unknown): ExperimentsError {
  return new ExperimentsError(message, 2, cause === undefined ? undefined : { cause });
}

/** A failure while running (exit code 1). */
export function runtimeError(message: string, cause?: unknown): ExperimentsError {
  return new ExperimentsError(message, 1, cause === undefined ? undefined : { cause });
}
