/**
 * Thrown for invalid options, inputs and model files in @vqkit/models. The message names the
 * function and argument, what was expected, what was got, and how to fix it. When several things
 * are wrong at once (a model file with many mismatching tensors) every one is listed in
 * {@link ModelsError.problems} and in the message.
 */
export class ModelsError extends Error {
  override name = 'ModelsError';
  /** Every individual problem found, one sentence each (a single entry for simple errors). */
  readonly problems: readonly string[];

  constructor(message: string, problems: readonly string[] = [message]) {
    super(message);
    this.problems = problems;
  }
}
