import { readFileSync } from 'node:fs';
import { BackbonesError, decodeSafetensors } from '@vqkit/backbones';
import { MODEL_FILE_KEY } from '@vqkit/models';
import { z } from 'zod';
import { CHECKPOINT_META_KEY } from '../checkpoint/meta';
import { inputError } from '../config/errors';
import { ioError } from '../io-error';

/**
 * The `playground.format` of a model exported by the playground page (apps/playground,
 * `src/export-model.ts`, README "Exports"); the playground's tests and this app's pin the two equal.
 */
export const PLAYGROUND_MODEL_FORMAT = 'vqkit.playground-model/1';

const int = (min: number) => z.number().int().min(min);

/** `playground.model`: the options the page built its model from (README "Exports"). */
const playgroundModelSchema = z.object({
  architecture: z.enum(['single', 'hierarchical']),
  channels: int(2),
  codebookSize: int(1),
  codeDim: int(1),
  downsample: int(2),
  topDownsample: int(2),
  resBlocks: int(0),
  inputSize: int(1),
  seed: int(0),
  quantizer: z.object({
    init: z.enum(['data', 'kmeans', 'random']),
    reset: z.enum(['windowed', 'ema', 'none']),
    resetSource: z.enum(['recent-mean', 'random-recent']),
    resetThreshold: z.number().positive(),
    resetWindow: int(1),
    commitmentWeight: z.number().nonnegative(),
    decay: z.number().gt(0).lt(1),
  }),
});

/** `playground.data`: the pixel range the model was trained on. */
const playgroundDataSchema = z.object({ range: z.enum(['0,1', '-1,1']), inputSize: int(1) });

/** `playground.run`: the run's final numbers (kept as recorded). */
const playgroundRunSchema = z.looseObject({ steps: int(0), backend: z.string() });

/** A playground export's metadata, validated. */
export interface PlaygroundExport {
  model: z.output<typeof playgroundModelSchema>;
  data: z.output<typeof playgroundDataSchema>;
  run: z.output<typeof playgroundRunSchema>;
}

/** What a `--checkpoint` file given without `--run` turned out to be. */
export type ModelFile =
  | { kind: 'playground'; bytes: Uint8Array; export: PlaygroundExport }
  | { kind: 'checkpoint'; bytes: Uint8Array };

const FIX =
  'Pass a model exported by the playground (vqkit-playground-<architecture>.safetensors), or a vqkit training checkpoint together with its run: --run <dir> --checkpoint <file>.';

/**
 * Reads a model file named by `vqkit eval --checkpoint <file>` (no `--run`) and tells what it is: a
 * playground export (its `playground.*` metadata validated) or a vqkit training checkpoint.
 * @throws ExperimentsError (exit 2) naming the file and the fix: unreadable, damaged (bad
 *   structure or checksum), neither kind, or playground metadata that does not parse.
 */
export function readModelFile(path: string): ModelFile {
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (error) {
    throw ioError(error, 'eval --checkpoint: cannot read', path, FIX);
  }
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let metadata: Record<string, string>;
  try {
    metadata = decodeSafetensors(bytes).metadata;
  } catch (error) {
    if (!(error instanceof BackbonesError)) throw error;
    throw inputError(
      `eval --checkpoint ${path}: the file is damaged or not a safetensors file (${error.problems.slice(0, 2).join('; ')}). ${FIX} A damaged export must be exported again.`,
      error,
    );
  }
  if (metadata['playground.format'] === PLAYGROUND_MODEL_FORMAT) {
    return { kind: 'playground', bytes, export: parsePlayground(path, metadata) };
  }
  if (metadata[CHECKPOINT_META_KEY] !== undefined) return { kind: 'checkpoint', bytes };
  const what =
    metadata['playground.format'] !== undefined
      ? `a playground export of format ${JSON.stringify(metadata['playground.format'])} (this vqkit reads '${PLAYGROUND_MODEL_FORMAT}')`
      : metadata[MODEL_FILE_KEY] !== undefined
        ? 'a @vqkit/models model file without the playground metadata that says how to rebuild its model'
        : 'a safetensors file that is neither a vqkit checkpoint nor a playground export';
  throw inputError(`eval --checkpoint ${path}: this is ${what}. ${FIX}`);
}

function parsePlayground(path: string, metadata: Record<string, string>): PlaygroundExport {
  const field = <T extends z.ZodType>(key: string, schema: T): z.output<T> => {
    let json: unknown;
    try {
      json = JSON.parse(metadata[key] ?? 'null');
    } catch {
      json = undefined;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length === 0 ? '' : ` key '${issue.path.join('.')}'`;
    throw inputError(
      `eval --checkpoint ${path}: its metadata '${key}'${at} is invalid (${metadata[key] === undefined ? 'missing' : issue.message}). The file is damaged or from another playground version: export the model again.`,
    );
  };
  return {
    model: field('playground.model', playgroundModelSchema),
    data: field('playground.data', playgroundDataSchema),
    run: field('playground.run', playgroundRunSchema),
  };
}
