import { z } from 'zod';

/** Schema id every finished run's `metrics.json` carries. */
export const METRICS_SCHEMA_ID = 'vqkit.metrics/1';

const meanStd = z.looseObject({ mean: z.number(), std: z.number() });
const finite = z.number();

/** One quantised level of a run, as `metrics.json` records it. */
export const levelMetricsSchema = z.looseObject({
  name: z.enum(['single', 'bottom', 'top']),
  codebookSize: z.number().int().positive(),
  codeDim: z.number().int().positive(),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  perplexity: finite,
  normalizedPerplexity: finite,
  activeCodes: z.number(),
  deadFraction: finite,
  gini: finite,
  lorenz: z.looseObject({ x: z.array(z.number()), y: z.array(z.number()) }),
  counts: z.array(z.number()).optional(),
  /** The level's quantizer family (runs before quantizer families: absent, i.e. 'vq'). */
  kind: z.string().optional(),
  /** Index bits per position (absent: log₂ codebookSize). */
  bitsPerPosition: z.number().optional(),
  /** Groups of codebookSize codes in `counts` (residual depth; absent: 1). */
  stages: z.number().int().positive().optional(),
  /** What the usage numbers are taken over, in words. */
  usageOver: z.string().optional(),
});

/**
 * The parts of the run config that the report reads (the full config is kept as is). Only what
 * defines a Table 1 row, a setting and the latent sizes is required.
 */
export const reportedConfigSchema = z.looseObject({
  name: z.string().optional(),
  architecture: z.enum(['single', 'hierarchical']),
  seed: z.number().default(0),
  data: z.looseObject({ size: z.number().int().positive() }),
  model: z.looseObject({
    single: z.looseObject({
      channels: z.number().int().positive(),
      codebookSize: z.number().int().positive(),
      codeDim: z.number().int().positive(),
    }),
    hierarchical: z.looseObject({
      channels: z.number().int().positive(),
      codebookSize: z.number().int().positive(),
      codeDim: z.number().int().positive(),
    }),
    downsample: z.number().int().positive(),
    topDownsample: z.number().int().positive(),
    /** Which budgets the pair equalises; runs from before `model.match` existed are eqs. 4–5. */
    match: z.enum(['kd', 'bits']).default('kd'),
  }),
  quantizer: z.looseObject({}).default({}),
  tags: z.record(z.string(), z.string()).default({}),
});

/** `metrics.json` (schema `vqkit.metrics/1`): what `vqkit eval` writes and `vqkit report` reads. */
export const metricsFileSchema = z.looseObject({
  schema: z.literal(METRICS_SCHEMA_ID),
  run: z.string(),
  architecture: z.enum(['single', 'hierarchical']),
  tags: z.record(z.string(), z.string()).default({}),
  config: reportedConfigSchema,
  params: z.number().nonnegative(),
  images: z.number().int().nonnegative(),
  dataRange: z.number().positive().default(1),
  mse: meanStd,
  // JSON has no Infinity: when every image reconstructs exactly the mean PSNR is +∞ and
  // JSON.stringify writes null; read it back as +∞ (std 0) when psnr.infinite says so.
  psnr: z
    .looseObject({
      mean: z.number().nullable(),
      std: z.number().nullable(),
      infinite: z.number().default(0),
    })
    .transform((p, ctx) => {
      if (p.mean !== null) return { ...p, mean: p.mean, std: p.std ?? Number.NaN };
      if (p.infinite > 0) return { ...p, mean: Number.POSITIVE_INFINITY, std: 0 };
      ctx.addIssue({
        code: 'custom',
        message: 'psnr.mean is null but psnr.infinite is 0 (expected a number)',
      });
      return z.NEVER;
    }),
  ssim: meanStd.optional(),
  bitsPerImage: z.number(),
  bitsPerPixel: z.number(),
  entropyBitsPerPixel: z.number().optional(),
  levels: z.array(levelMetricsSchema).min(1),
  matched: z.looseObject({
    ok: z.boolean(),
    allowUnmatched: z.boolean().default(false),
    /** hierarchical − single index bits per image (runs before it was recorded: absent). */
    bitGap: z.looseObject({ indexBits: z.number().optional() }).optional(),
  }),
  samples: z
    .looseObject({ originals: z.array(z.string()), reconstructions: z.array(z.string()) })
    .default({ originals: [], reconstructions: [] }),
  steps: z.number().optional(),
  finishedAt: z.string().optional(),
  /**
   * Evaluation data: the folder name (older runs) or an object whose `settings` are the loaders'
   * settings and `split` the split evaluated; read defensively (see setting.ts).
   */
  data: z.unknown().optional(),
});

/** A parsed `metrics.json`. */
export type MetricsFile = z.output<typeof metricsFileSchema>;
/** One level of a parsed `metrics.json`. */
export type LevelMetrics = z.output<typeof levelMetricsSchema>;
/** The config as the report sees it. */
export type ReportedConfig = z.output<typeof reportedConfigSchema>;

/**
 * Parses the text of a `metrics.json`.
 * @returns the metrics, or a one-line reason naming the first offending key path.
 */
export function parseMetricsFile(
  text: string,
): { ok: true; metrics: MetricsFile } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `metrics.json is not valid JSON (${(error as Error).message})` };
  }
  if (json === null || typeof json !== 'object') {
    return { ok: false, reason: 'metrics.json is not a JSON object' };
  }
  const schema = (json as { schema?: unknown }).schema;
  if (schema !== METRICS_SCHEMA_ID) {
    return {
      ok: false,
      reason: `metrics.json has schema ${JSON.stringify(schema)}, expected '${METRICS_SCHEMA_ID}' (re-run \`vqkit eval\` with this version)`,
    };
  }
  const parsed = metricsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.length === 0 ? '(top level)' : issue.path.join('.');
    return { ok: false, reason: `metrics.json key '${path}': ${issue.message}` };
  }
  return { ok: true, metrics: parsed.data };
}
