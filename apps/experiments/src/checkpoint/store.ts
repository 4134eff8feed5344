import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SafetensorsTensor } from '@vqkit/backbones';
import { withIo } from '../io-error';
import { TEMP_MARKER, writeFileAtomic } from '../run-dir';
import {
  checkpointPath,
  checkpointProblem,
  checkpointStep,
  encodeCheckpoint,
  readCheckpoint,
} from './file';
import type { CheckpointMeta } from './meta';

/** An intact checkpoint on disk (verified: checksums, metadata, finite tensors). */
export interface CheckpointEntry {
  path: string;
  step: number;
  meta: CheckpointMeta;
}

/** A file named like a checkpoint that failed verification, and why. */
export interface DamagedEntry {
  path: string;
  /** The step its file name states. */
  step: number;
  problem: string;
}

/** What a checkpoint folder holds, each list oldest first. */
export interface CheckpointScan {
  entries: CheckpointEntry[];
  damaged: DamagedEntry[];
}

/** Suffix given to a damaged checkpoint moved aside when a resume goes back past it. */
export const DAMAGED_SUFFIX = '.damaged';

/**
 * Writes one checkpoint file atomically (temp file + fsync + rename; a failed write removes its
 * temp file) at `step-<step>.safetensors`. Callers check the tensors first: nothing non-finite
 * is ever written. Returns its path.
 */
export function saveCheckpoint(
  dir: string,
  tensors: Readonly<Record<string, SafetensorsTensor>>,
  meta: CheckpointMeta,
): string {
  const path = checkpointPath(dir, meta.step);
  writeFileAtomic(path, encodeCheckpoint(tensors, meta));
  return path;
}

/**
 * Verifies every file named like a checkpoint in `dir` (each is read in full: checksums,
 * metadata, finite tensors) and sorts them into intact and damaged ones. Temp files of
 * interrupted writes and anything else are ignored; nothing is deleted.
 */
export function scanCheckpoints(dir: string): CheckpointScan {
  const scan: CheckpointScan = { entries: [], damaged: [] };
  if (!existsSync(dir)) return scan;
  const names = withIo('cannot list', dir, () => readdirSync(dir));
  for (const name of names) {
    const step = checkpointStep(name);
    if (step === null) continue;
    const path = join(dir, name);
    try {
      scan.entries.push({ path, step, meta: readCheckpoint(path).meta });
    } catch (error) {
      scan.damaged.push({ path, step, problem: checkpointProblem(error) });
    }
  }
  scan.entries.sort((a, b) => a.step - b.step);
  scan.damaged.sort((a, b) => a.step - b.step);
  return scan;
}

/** Every intact checkpoint in `dir`, oldest first (see {@link scanCheckpoints}). */
export function listCheckpoints(dir: string): CheckpointEntry[] {
  return scanCheckpoints(dir).entries;
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
    if (v === null) continue;
    if (best === null || v <= (best.meta.valMse ?? Number.POSITIVE_INFINITY)) best = e;
  }
  return best;
}

/**
 * Deletes intact checkpoints beyond the newest `keepLast`, always keeping the best by validation
 * MSE; damaged files are never touched. Called only after a new checkpoint was renamed into
 * place, so the newest state is never at risk. Returns the deleted paths.
 */
export function pruneCheckpoints(dir: string, keepLast: number): string[] {
  const entries = listCheckpoints(dir);
  const keep = new Set(entries.slice(-keepLast).map((e) => e.path));
  const best = bestCheckpoint(entries);
  if (best !== null) keep.add(best.path);
  const removed: string[] = [];
  for (const e of entries) {
    if (keep.has(e.path)) continue;
    withIo('cannot delete old checkpoint', e.path, () => rmSync(e.path, { force: true }));
    removed.push(e.path);
  }
  return removed;
}

/**
 * Moves damaged checkpoints aside (`<name>.damaged`, kept for inspection) so that a resume that
 * went back past them is not refused again and never overwrites them. Returns the new paths.
 */
export function setAsideDamaged(damaged: readonly DamagedEntry[]): string[] {
  return damaged.map((d) => {
    const to = `${d.path}${DAMAGED_SUFFIX}`;
    withIo('cannot move aside damaged checkpoint', d.path, () => renameSync(d.path, to));
    return to;
  });
}
