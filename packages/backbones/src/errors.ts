/**
 * Thrown for invalid arguments, shapes and weight files in @vqkit/backbones. The message names the
 * function and argument, what was expected, what was got, and how to fix it. When several things
 * are wrong at once (a weight file with many mismatching tensors) every one is listed in
 * {@link BackbonesError.problems} and in the message.
 */
export class BackbonesError extends Error {
  override name = 'BackbonesError';
  /** Every individual problem found, one sentence each (a single entry for simple errors). */
  readonly problems: readonly string[];

  constructor(message: string, problems: readonly string[] = [message]) {
    super(message);
    this.problems = problems;
  }
}
