/** The signals that stop a command cleanly, and the exit code each ends with (128 + signal number). */
export const SIGNAL_EXIT_CODES: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = {
  SIGINT: 130,
  SIGTERM: 143,
};
const SIGNALS = Object.keys(SIGNAL_EXIT_CODES) as NodeJS.Signals[];

/** Exit code after `signal` stopped a command: 130 (SIGINT), 143 (SIGTERM). */
export function signalExitCode(signal: string): number {
  return Object.hasOwn(SIGNAL_EXIT_CODES, signal)
    ? SIGNAL_EXIT_CODES[signal as keyof typeof SIGNAL_EXIT_CODES]
    : 130;
}

/**
 * Runs `fn` with an AbortSignal that the first SIGINT/SIGTERM aborts (its reason is the signal's
 * name), printing `message(signal)` on stderr; a second signal exits at once with 130/143 (every
 * file vqkit writes is written atomically, so that loses only unsaved progress).
 */
export async function withInterrupt<T>(
  message: (signal: NodeJS.Signals) => string,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`\n${signal} again: exiting now.\n`);
      process.exit(signalExitCode(signal));
    }
    process.stderr.write(`\n${message(signal)}\n`);
    controller.abort(signal);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}

/**
 * Notes which stop signal arrived while a command ran, for the CLI's exit code. A signal that no
 * command handles (no other listener) is re-raised with the default action, so Ctrl-C still ends
 * commands that do not stop cleanly (report, capacity) at once.
 */
export function observeStopSignals(): { received(): NodeJS.Signals | null; dispose(): void } {
  let received: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    received ??= signal;
    if (process.listenerCount(signal) > 1) return;
    dispose();
    process.kill(process.pid, signal);
  };
  const dispose = () => {
    for (const s of SIGNALS) process.off(s, onSignal);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  return { received: () => received, dispose };
}

/** Lets pending I/O and signal handlers run: one macrotask turn (cpu reads resolve as microtasks). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The signal name an aborted AbortSignal carries (as {@link withInterrupt} aborts), else 'abort'. */
export function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return typeof reason === 'string' ? reason : 'abort';
}
