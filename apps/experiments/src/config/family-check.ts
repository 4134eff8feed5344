import type { QuantizerConfig } from './quantizer-schema';

/** What the cross-key check reads of a config (the parsed sections, before `name` is set). */
interface FamilyCheckInput {
  architecture: 'single' | 'hierarchical';
  model: Record<'single' | 'hierarchical', { codebookSize: number; codeDim: number }>;
  quantizer: QuantizerConfig;
}

/** One problem: the key path it concerns and a sentence with the expected value, the got and the fix. */
export interface FamilyProblem {
  path: (string | number)[];
  message: string;
}

/**
 * The K and D a family quantizes into on the trained side, or null where `model.<side>` sets them
 * (vq, residual: K per stage): FSQ has D = levels.length and K = ∏ levels, LFQ K = 2^D.
 */
export function impliedCodebook(
  q: QuantizerConfig,
  codeDim: number,
): { codebookSize: number; codeDim: number } | null {
  if (q.kind === 'fsq') {
    return { codebookSize: q.levels.reduce((a, b) => a * b, 1), codeDim: q.levels.length };
  }
  if (q.kind === 'lfq') return { codebookSize: 2 ** codeDim, codeDim };
  return null;
}

/**
 * Cross-key checks of the `quantizer` section against the trained side's `model.<side>`, so that
 * `model.<side>.codebookSize` and `codeDim` always state the K and D the quantizer really has
 * (what the dry run, metrics.json and the report read): FSQ needs D = levels.length and
 * K = ∏ levels, LFQ K = 2^D; the residual quantizer's dropout keeps at most `depth` stages.
 */
export function familyProblems(config: FamilyCheckInput): FamilyProblem[] {
  // Runs after the per-key checks, which may have failed: judge only well-formed values.
  if (!wellFormed(config)) return [];
  const q = config.quantizer;
  const side = config.architecture;
  const { codebookSize, codeDim } = config.model[side];
  const problems: FamilyProblem[] = [];
  const set = (key: string, value: number) => `fix with --set model.${side}.${key}=${value}`;
  const implied = impliedCodebook(q, codeDim);
  if (q.kind === 'fsq' && implied !== null && codeDim !== implied.codeDim) {
    problems.push({
      path: ['model', side, 'codeDim'],
      message: `must equal the number of FSQ levels, ${implied.codeDim} (quantizer.levels ${JSON.stringify(q.levels)} quantizes one latent channel per level); ${set('codeDim', implied.codeDim)}`,
    });
  }
  if (implied !== null && codebookSize !== implied.codebookSize) {
    const what =
      q.kind === 'fsq'
        ? `∏ quantizer.levels = ${implied.codebookSize} (FSQ's implicit codebook)`
        : `2^codeDim = ${implied.codebookSize} (LFQ's implicit codebook of ${codeDim} bits)`;
    problems.push({
      path: ['model', side, 'codebookSize'],
      message: `must be ${what}, so the config states the K it trains; ${set('codebookSize', implied.codebookSize)}`,
    });
  }
  if (q.kind === 'lfq' && codeDim > 24) {
    problems.push({
      path: ['model', side, 'codeDim'],
      message: `must be at most 24 with quantizer.kind 'lfq' (2^D codes, indices exact in float32); ${set('codeDim', 24)} or less`,
    });
  }
  if (q.kind === 'residual' && q.quantizerDropoutMinDepth > q.depth) {
    problems.push({
      path: ['quantizer', 'quantizerDropoutMinDepth'],
      message: `must be at most quantizer.depth = ${q.depth} (the fewest stages a batch keeps). Use e.g. 1`,
    });
  }
  return problems;
}

const posInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;

/** Whether the values the checks read are of the right types (other issues are reported per key). */
function wellFormed(config: FamilyCheckInput): boolean {
  const side = config.model?.[config.architecture];
  const q = config.quantizer as Partial<Record<string, unknown>> | undefined;
  if (!side || !posInt(side.codebookSize) || !posInt(side.codeDim) || !q) return false;
  if (q['kind'] === 'fsq') {
    const levels = q['levels'];
    return Array.isArray(levels) && levels.length > 0 && levels.every((l) => posInt(l) && l >= 2);
  }
  if (q['kind'] === 'residual') return posInt(q['depth']) && posInt(q['quantizerDropoutMinDepth']);
  return true;
}
