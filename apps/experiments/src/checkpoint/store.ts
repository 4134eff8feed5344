import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '@vqkit/backbones';
import { decodeModelState, encodeModelState, modelStateProblems, type VQVAE } from '@vqkit/models';
import { runtimeError } from '../config/errors';
import { TEMP_MARKER, writeFileAtomic } from '../run-dir';

/** Format id stored in every checkpoint's metadata. */
export const CHECKPOINT_FORMAT = 'vqkit.checkpoint/1';

/** File name pattern of a checkpoint: `step-00000123.safetensors`. */
const CHECKPOINT_RE = /^step-(\d+)\.safetensors$/;

/** Where the training loop stands, as saved in a checkpoint. */
export interface TrainPosition {
  /** Optimizer steps completed. */
  step: number;
  /** Epoch in progress (0-based); after the last step of an epoch this is the next epoch. */
  epoch: number;
  /** Steps completed within `epoch`. */
  stepInEpoch: number;
}

/** Everything a checkpoint records besides the tensors. */
export interface CheckpointMeta extends TrainPosition {
  format: typeof CHECKPOINT_FORMAT;
  run: string;
  architecture: 'single' | 'hierarchical';
  /** Validation MSE measured right before this checkpoint (epoch ends), else null. */
  valMse: number | null;
  /** Learning rate in effect for the next step. */
  learningRate: number;
  /**
   * Data-order position of the training loader (`ImageLoader.getState()`). The loader derives every
   * shuffle, crop and flip from (seed, epoch, position), so this is its complete RNG state; each
   * quantizer's generator state is part of its saved state.
   */
  data: unknown;
  /** Why it was written: `'epoch'`, `'interval'`, `'signal'` or `'final'`. */
  reason: string;
  /** Running log state restored on resume (best validation so far, counters). */
  progress: Record<string, unknown>;
  savedAt: string;
}

/** A checkpoint on disk, as listed by {@link listCheckpoints}. */
export interface CheckpointEntry {
  path: string;
  step: number;
  meta: CheckpointMeta;
}

/** Optimizer internals needed for an exact resume (tf.train.adam recomputes accBeta with pow()). */
interface AdamInternals {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
  learningRate: number;
}

/** Checkpoint file path for a step. */
export function checkpointPath(dir: string, step: number): string {
  return join(dir, `step-${String(step).padStart(8, '0')}.safetensors`);
}

/**
 * Serialises the model with @vqkit/models' state codec (weights `model/<variable>`, every
 * quantizer's state `quantizer/<level>/…`), adds the optimizer's weights (`optimizer/<i>`, from
 * `await optimizer.getWeights()`) and the metadata (position, RNG and data-order state, validation
 * MSE), and writes one safetensors file atomically (temp file + fsync + rename). Returns its path.
 */
export async function saveCheckpoint(
  dir: string,
  model: VQVAE,
  optimizer: tf.Optimizer,
  meta: Omit<CheckpointMeta, 'format' | 'savedAt'>,
): Promise<string> {
  const { tensors, quantizers } = await encodeModelState(model);
  const weights = await optimizer.getWeights();
  const optimizerNames: string[] = [];
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    optimizerNames.push(w.name);
    const data = await w.tensor.data();
    tensors[`optimizer/${i}`] =
      w.tensor.dtype === 'int32'
        ? { dtype: 'I32', shape: [...w.tensor.shape], data: new Int32Array(data as Int32Array) }
        : {
            dtype: 'F32',
            shape: [...w.tensor.shape],
            data: new Float32Array(data as Float32Array),
          };
  }
  // The iteration counter is a fresh scalar created by getWeights(); the moments are live variables.
  weights[0]?.tensor.dispose();
  const adam = optimizer as unknown as AdamInternals;
  const accBeta = [
    adam.accBeta1 ? (await adam.accBeta1.data())[0]! : null,
    adam.accBeta2 ? (await adam.accBeta2.data())[0]! : null,
  ];
  const full = {
    ...meta,
    format: CHECKPOINT_FORMAT,
    savedAt: new Date().toISOString(),
    optimizer: { names: optimizerNames, accBeta },
    quantizers,
  };
  const bytes = encodeSafetensors(tensors, { vqkit: JSON.stringify(full) });
  const path = checkpointPath(dir, meta.step);
  writeFileAtomic(path, bytes);
  return path;
}

/** A checkpoint read back into memory (nothing assigned yet). */
export interface LoadedCheckpoint {
  path: string;
  meta: CheckpointMeta;
  tensors: Record<string, SafetensorsTensor>;
  optimizer: { names: string[]; accBeta: (number | null)[] };
  quantizers: unknown;
}

/** Reads and validates a checkpoint file. */
export function readCheckpoint(path: string): LoadedCheckpoint {
  let file: ReturnType<typeof decodeSafetensors>;
  try {
    file = decodeSafetensors(new Uint8Array(readFileSync(path)));
  } catch (error) {
    throw runtimeError(
      `checkpoint ${path} cannot be read (${(error as Error).message}). Delete it to fall back to the previous checkpoint.`,
      error,
    );
  }
  const raw = file.metadata.vqkit;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(raw ?? '') as Record<string, unknown>;
  } catch {
    throw runtimeError(
      `checkpoint ${path} has no vqkit metadata; it was not written by vqkit train.`,
    );
  }
  if (parsed.format !== CHECKPOINT_FORMAT) {
    throw runtimeError(
      `checkpoint ${path} has format ${JSON.stringify(parsed.format)}, expected '${CHECKPOINT_FORMAT}'.`,
    );
  }
  const { optimizer, quantizers, ...meta } = parsed;
  return {
    path,
    meta: meta as unknown as CheckpointMeta,
    tensors: file.tensors,
    optimizer: optimizer as LoadedCheckpoint['optimizer'],
    quantizers,
  };
}

/**
 * Assigns a checkpoint's model weights and quantizer states (@vqkit/models' state codec). Every
 * weight (name, dtype, shape) and quantizer level is checked before anything is assigned.
 * @throws ExperimentsError (exit 1) listing every mismatch when the checkpoint belongs to another config.
 */
export async function restoreModel(checkpoint: LoadedCheckpoint, model: VQVAE): Promise<void> {
  const state = { tensors: checkpoint.tensors, quantizers: checkpoint.quantizers };
  const problems = modelStateProblems(model, state);
  if (problems.length > 0) {
    throw runtimeError(
      `checkpoint ${checkpoint.path} does not fit the model: ${problems.join('; ')}. It was written by a run with another config; use the run's own config.json.`,
    );
  }
  await decodeModelState(model, state, `checkpoint ${checkpoint.path}`);
}

/**
 * Restores the optimizer exactly: Adam's moments and iteration count via `setWeights`, then its
 * bias-correction accumulators β1^t, β2^t as saved (setWeights would recompute them with pow(),
 * which differs in the last bits from the running product) and the learning rate.
 */
export async function restoreOptimizer(
  checkpoint: LoadedCheckpoint,
  optimizer: tf.Optimizer,
): Promise<void> {
  const named = checkpoint.optimizer.names.map((name, i) => {
    const t = checkpoint.tensors[`optimizer/${i}`];
    if (t === undefined)
      throw runtimeError(
        `checkpoint ${checkpoint.path}: optimizer tensor ${i} (${name}) is missing; the file is damaged.`,
      );
    return {
      name,
      tensor: tf.tensor(t.data as Float32Array, t.shape, t.dtype === 'I32' ? 'int32' : 'float32'),
    };
  });
  if (named.length > 0) {
    await optimizer.setWeights(named);
    const adam = optimizer as unknown as AdamInternals;
    const [b1, b2] = checkpoint.optimizer.accBeta;
    if (adam.accBeta1 && typeof b1 === 'number')
      tf.tidy(() => adam.accBeta1!.assign(tf.scalar(b1)));
    if (adam.accBeta2 && typeof b2 === 'number')
      tf.tidy(() => adam.accBeta2!.assign(tf.scalar(b2)));
    // setWeights wraps each moment in a new variable; the loaded tensors themselves are not kept.
    for (const n of named) n.tensor.dispose();
  }
  (optimizer as unknown as AdamInternals).learningRate = checkpoint.meta.learningRate;
}

/** Reads just the metadata of a checkpoint (the JSON header), without loading its tensors. */
export function readCheckpointMeta(path: string): CheckpointMeta | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) !== 8) return null;
    const n = Number(head.readBigUInt64LE(0));
    if (!Number.isSafeInteger(n) || n <= 0 || n > 100_000_000) return null;
    const json = Buffer.alloc(n);
    if (readSync(fd, json, 0, n, 8) !== n) return null;
    const header = JSON.parse(json.toString('utf8')) as { __metadata__?: { vqkit?: string } };
    const meta = JSON.parse(header.__metadata__?.vqkit ?? 'null') as
      | (CheckpointMeta & { quantizers?: unknown })
      | null;
    if (meta?.format !== CHECKPOINT_FORMAT) return null;
    const {
      quantizers: _q,
      optimizer: _o,
      ...rest
    } = meta as CheckpointMeta & { quantizers?: unknown; optimizer?: unknown };
    return rest as CheckpointMeta;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Every complete checkpoint in `dir`, oldest first. Temp files of interrupted writes and files whose
 * header cannot be parsed are ignored (never deleted here).
 */
export function listCheckpoints(dir: string): CheckpointEntry[] {
  if (!existsSync(dir)) return [];
  const out: CheckpointEntry[] = [];
  for (const name of readdirSync(dir)) {
    const m = CHECKPOINT_RE.exec(name);
    if (m === null) continue;
    const path = join(dir, name);
    const meta = readCheckpointMeta(path);
    if (meta !== null) out.push({ path, step: Number(m[1]), meta });
  }
  return out.sort((a, b) => a.step - b.step);
}

/** Leftover temp files of interrupted checkpoint writes. */
export function strayTempFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.includes(TEMP_MARKER))
    .map((name) => join(dir, name));
}

/** The checkpoint with the lowest validation MSE (ties: the later one), or null. */
export function bestCheckpoint(entries: readonly CheckpointEntry[]): CheckpointEntry | null {
  let best: CheckpointEntry | null = null;
  for (const e of entries) {
    const v = e.meta.valMse;
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (best === null || v <= (best.meta.valMse as number)) best = e;
  }
  return best;
}

/**
 * Deletes checkpoints beyond the newest `keepLast`, always keeping the best by validation MSE.
 * Called only after a new checkpoint was renamed into place, so the newest state is never at risk.
 * Returns the deleted paths.
 */
export function pruneCheckpoints(dir: string, keepLast: number): string[] {
  const entries = listCheckpoints(dir);
  const keep = new Set(entries.slice(-keepLast).map((e) => e.path));
  const best = bestCheckpoint(entries);
  if (best !== null) keep.add(best.path);
  const removed: string[] = [];
  for (const e of entries) {
    if (keep.has(e.path)) continue;
    rmSync(e.path, { force: true });
    removed.push(e.path);
  }
  return removed;
}
