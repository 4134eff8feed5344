import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { inputError } from '../config/errors';
import { resolveConfig } from '../config/resolve';
import { assertSafeName } from '../config/safe-path';
import type { SweepCell } from './sweep-cell';

/** Schema id of a sweep's cells manifest. */
export const MANIFEST_SCHEMA = 'vqkit.sweep/1';

/**
 * The cells manifest a sweep writes next to its cells: every cell's id and fully resolved config, so
 * `vqkit sweep --manifest <file> --only <cell-id>` (e.g. one SLURM array task) runs exactly that cell
 * on any machine, independent of presets or files that may have changed since.
 */
export interface SweepManifest {
  schema: typeof MANIFEST_SCHEMA;
  grid: string;
  /** `--config` as given (preset name or file path). */
  base: string;
  /** `--set` overrides applied to the base. */
  sets: string[];
  createdAt: string;
  cells: { index: number; id: string; description: string; config: SweepCell['config'] }[];
}

/** Builds the manifest object of `cells`. */
export function manifestOf(
  cells: readonly SweepCell[],
  meta: { grid: string; base: string; sets: string[]; now: Date },
): SweepManifest {
  return {
    schema: MANIFEST_SCHEMA,
    grid: meta.grid,
    base: meta.base,
    sets: meta.sets,
    createdAt: meta.now.toISOString(),
    cells: cells.map((c, index) => ({
      index,
      id: c.id,
      description: c.description,
      config: c.config,
    })),
  };
}

/** Writes the manifest as JSON (creating the folder). */
export function writeManifest(path: string, manifest: SweepManifest): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Reads a manifest and re-validates every cell config with the run-config schema.
 * @throws ExperimentsError (exit 2) naming the file and what is wrong.
 */
export function readManifest(path: string): { manifest: SweepManifest; cells: SweepCell[] } {
  if (!existsSync(path)) {
    throw inputError(
      `sweep: --manifest '${path}' does not exist. Write one with \`vqkit sweep --emit slurm\` (it is <runs-dir>/sweep-manifest.json).`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw inputError(
      `sweep: --manifest '${path}' is not valid JSON (${(error as Error).message}). Regenerate it with \`vqkit sweep --emit slurm\`.`,
      error,
    );
  }
  const m = raw as Partial<SweepManifest>;
  if (m?.schema !== MANIFEST_SCHEMA || !Array.isArray(m.cells)) {
    throw inputError(
      `sweep: --manifest '${path}' is not a sweep manifest (expected schema '${MANIFEST_SCHEMA}' with a cells array, got schema ${JSON.stringify(m?.schema)}). Regenerate it with \`vqkit sweep --emit slurm\`.`,
    );
  }
  const seen = new Set<string>();
  const cells = m.cells.map((c, i) => {
    if (typeof c?.id !== 'string' || c.config === null || typeof c.config !== 'object') {
      throw inputError(
        `sweep: --manifest '${path}': cells[${i}] needs an id (string) and a config (object).`,
      );
    }
    assertSafeName(c.id, `sweep: --manifest '${path}': cells[${i}].id`);
    if (seen.has(c.id)) {
      throw inputError(
        `sweep: --manifest '${path}': cells[${i}].id '${c.id}' appears twice; every cell needs its own id (it names its folder).`,
      );
    }
    seen.add(c.id);
    return {
      id: c.id,
      description: String(c.description ?? c.id),
      config: resolveConfig(c.config as object),
    };
  });
  return { manifest: m as SweepManifest, cells };
}
