import { z } from 'zod';

/**
 * Format id stored in every checkpoint's metadata. Version 2: metadata validated by
 * {@link checkpointMetaSchema}, CRC-32 checksums of data and header required (version 1 files
 * had neither).
 */
export const CHECKPOINT_FORMAT = 'vqkit.checkpoint/2';

/** Key of the checkpoint metadata (a JSON string) in the safetensors `__metadata__`. */
export const CHECKPOINT_META_KEY = 'vqkit';

const count = z.number().int().nonnegative();
const finiteNumber = z.number().refine(Number.isFinite, 'must be a finite number');

/** Where the training loop stands. */
export const trainPositionSchema = z.strictObject({
  /** Optimizer steps completed. */
  step: count,
  /** Epoch in progress (0-based); after an epoch's validation this is the next epoch. */
  epoch: count,
  /** Steps completed within `epoch` (= steps per epoch when stopped before the epoch's validation). */
  stepInEpoch: count,
});
export type TrainPosition = z.output<typeof trainPositionSchema>;

/** The training loader's data-order position (`ImageLoader.getState()` of @vqkit/data). */
export const loaderStateSchema = z.strictObject({
  epoch: count,
  batch: count,
  seed: finiteNumber,
  length: count,
  batchSize: z.number().int().positive(),
});

/** Why a checkpoint was written. */
export const CHECKPOINT_REASONS = ['epoch', 'interval', 'signal', 'final'] as const;

/**
 * Everything a checkpoint records besides the tensors, validated on every read. The optimizer's
 * tensors are `optimizer/<i>` (Adam: the iteration count, then m and v per trainable variable in
 * the model's order); `optimizer.accBeta` holds β1^t, β2^t exactly as the running products.
 */
export const checkpointMetaSchema = z.strictObject({
  format: z.literal(CHECKPOINT_FORMAT),
  run: z.string().min(1),
  architecture: z.enum(['single', 'hierarchical']),
  ...trainPositionSchema.shape,
  /** Validation MSE measured right before this checkpoint (epoch ends), else null. */
  valMse: finiteNumber.nonnegative().nullable(),
  /** Learning rate of the next step. */
  learningRate: finiteNumber.positive(),
  /** The training loader's position: with the seed it is the loader's complete RNG state. */
  data: loaderStateSchema,
  /** Every pixel-deciding setting of the training loader (`loader.settings`). */
  dataSettings: z.record(z.string(), z.unknown()),
  reason: z.enum(CHECKPOINT_REASONS),
  /** Log state restored on resume. */
  progress: z.strictObject({
    bestValMse: finiteNumber.nullable(),
    loggedSkips: z.array(z.string()),
  }),
  optimizer: z.strictObject({
    names: z.array(z.string()),
    accBeta: z.tuple([finiteNumber, finiteNumber]),
  }),
  /** JSON skeleton of every quantizer's state (@vqkit/models' state codec checks it against the model). */
  quantizers: z.unknown(),
  savedAt: z.string(),
});
export type CheckpointMeta = z.output<typeof checkpointMetaSchema>;

/**
 * Parses a checkpoint's metadata JSON string.
 * @returns the metadata, or one sentence saying what is wrong (naming the first bad key).
 */
export function parseCheckpointMeta(
  raw: string | undefined,
): { ok: true; meta: CheckpointMeta } | { ok: false; problem: string } {
  if (raw === undefined) return { ok: false, problem: 'it has no vqkit metadata' };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, problem: 'its vqkit metadata is not JSON' };
  }
  const format = (json as { format?: unknown } | null)?.format;
  if (format !== CHECKPOINT_FORMAT) {
    return {
      ok: false,
      problem: `its format is ${JSON.stringify(format) ?? 'missing'}, expected '${CHECKPOINT_FORMAT}' (written by another vqkit version)`,
    };
  }
  const parsed = checkpointMetaSchema.safeParse(json);
  if (parsed.success) return { ok: true, meta: parsed.data };
  const issue = parsed.error.issues[0]!;
  const key = issue.path.length === 0 ? '(top level)' : issue.path.join('.');
  return { ok: false, problem: `its metadata key '${key}' is invalid: ${issue.message}` };
}
