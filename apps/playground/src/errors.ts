/** What went wrong, so the page can say where to look (the field, the file, the pair). */
export type PlaygroundErrorCode =
  | 'bad-option'
  | 'not-an-image'
  | 'image-too-small'
  | 'unmatched-pair'
  | 'no-backend'
  | 'training-failed';

/**
 * The playground's one error class. Messages name the function or option, what was expected,
 * what was got, and how to fix it; the page shows them verbatim and keeps working.
 */
export class PlaygroundError extends Error {
  override readonly name = 'PlaygroundError';
  readonly code: PlaygroundErrorCode;

  constructor(message: string, code: PlaygroundErrorCode) {
    super(message);
    this.code = code;
  }
}
