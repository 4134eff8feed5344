import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  BackbonesError,
  decodeSafetensors,
  encodeSafetensors,
  type SafetensorsTensor,
  tensorProblems,
} from '@vqkit/backbones';
import { ExperimentsError } from '../config/errors';
import { ioError } from '../io-error';
import { CHECKPOINT_META_KEY, type CheckpointMeta, parseCheckpointMeta } from './meta';

/** File name pattern of a checkpoint: `step-00000123.safetensors`. */
const CHECKPOINT_RE = /^step-(\d+)\.safetensors$/;

/** Checkpoint file path for a step. */
export function checkpointPath(dir: string, step: number): string {
  return join(dir, `step-${String(step).padStart(8, '0')}.safetensors`);
}

/** The step a checkpoint file name states, or null when the name is not a checkpoint's. */
export function checkpointStep(name: string): number | null {
  const m = CHECKPOINT_RE.exec(name);
  return m === null ? null : Number(m[1]);
}

/** A checkpoint read back and verified (nothing assigned to a model yet). */
export interface LoadedCheckpoint {
  path: string;
  meta: CheckpointMeta;
  /** `model/…`, `quantizer/…` and `optimizer/<i>` tensors, every float value finite. */
  tensors: Record<string, SafetensorsTensor>;
}

/**
 * A damaged checkpoint: the error every reader throws (exit 1), with the file and the reason, so
 * callers can list it and fall back (with `--allow-older-checkpoint`) or refuse.
 */
export class DamagedCheckpointError extends ExperimentsError {
  constructor(
    readonly path: string,
    readonly problem: string,
    cause?: unknown,
  ) {
    super(
      `checkpoint ${path} is damaged: ${problem}. Nothing was loaded from it.`,
      1,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** Serialises tensors and metadata into one checkpoint file's bytes (with CRC-32 checksums). */
export function encodeCheckpoint(
  tensors: Readonly<Record<string, SafetensorsTensor>>,
  meta: CheckpointMeta,
): Uint8Array {
  return encodeSafetensors(tensors, { [CHECKPOINT_META_KEY]: JSON.stringify(meta) });
}

/**
 * Verifies a checkpoint's bytes: the safetensors structure, the metadata
 * ({@link parseCheckpointMeta}), both checksums (data and header: required), the step against the
 * file name, and that every float tensor is finite (a checkpoint is never trusted to hold NaN or
 * ±Inf).
 *
 * @throws {@link DamagedCheckpointError} naming the file and the first problem found.
 */
export function decodeCheckpoint(bytes: Uint8Array, path: string): LoadedCheckpoint {
  let file: ReturnType<typeof decodeSafetensors>;
  try {
    file = decodeSafetensors(bytes);
  } catch (error) {
    if (!(error instanceof BackbonesError)) throw error;
    const more = error.problems.length > 3 ? ` (and ${error.problems.length - 3} more)` : '';
    throw new DamagedCheckpointError(
      path,
      `${error.problems.slice(0, 3).join('; ')}${more}`,
      error,
    );
  }
  const parsed = parseCheckpointMeta(file.metadata[CHECKPOINT_META_KEY]);
  if (!parsed.ok) throw new DamagedCheckpointError(path, parsed.problem);
  if (!file.checksummed) {
    throw new DamagedCheckpointError(
      path,
      'it carries no checksum, so its contents cannot be verified (vqkit writes one into every checkpoint; this file was re-saved by another tool)',
    );
  }
  const named = checkpointStep(basename(path));
  if (named !== null && named !== parsed.meta.step) {
    throw new DamagedCheckpointError(
      path,
      `its metadata says step ${parsed.meta.step} but its file name says step ${named} (renamed or copied over another checkpoint)`,
    );
  }
  const problems = Object.entries(file.tensors).flatMap(([name, t]) =>
    tensorProblems(name, t, { finite: true }),
  );
  if (problems.length > 0) {
    throw new DamagedCheckpointError(path, `${problems.slice(0, 5).join('; ')}`);
  }
  return { path, meta: parsed.meta, tensors: file.tensors };
}

/**
 * Reads and verifies a checkpoint file ({@link decodeCheckpoint}).
 * @throws ExperimentsError (exit 2) when the path cannot be read (naming it and the errno);
 *   {@link DamagedCheckpointError} (exit 1) when the file is damaged.
 */
export function readCheckpoint(path: string): LoadedCheckpoint {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw ioError(error, 'cannot read checkpoint', path, 'Name a readable checkpoint file.');
  }
  return decodeCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/** A failure while reading a checkpoint as one sentence, for lists of damaged files. */
export function checkpointProblem(error: unknown): string {
  if (error instanceof DamagedCheckpointError) return error.problem;
  if (error instanceof Error) return error.message;
  return String(error);
}
