import { decodeSafetensors, encodeSafetensors } from '@vqkit/backbones';
import { describe, fail } from './assert';
import { decodeModelState, encodeModelState } from './model-state';
import type { LevelInfo, VQVAE } from './types';

/** Metadata key holding the model header (JSON) in a model file. */
export const MODEL_FILE_KEY = 'vqkit.model';
/** Format id of a model file's header. */
export const MODEL_FILE_FORMAT = 'vqkit.model/1';

/** The JSON header {@link saveModel} stores under {@link MODEL_FILE_KEY}. */
export interface ModelFileHeader {
  format: typeof MODEL_FILE_FORMAT;
  architecture: 'single' | 'hierarchical';
  levels: LevelInfo[];
  /** Skeleton of the quantizer states (their arrays are the `quantizer/…` tensors). */
  quantizers: unknown;
}

/**
 * Saves a model's weights and quantizer states as one safetensors file (bytes, so it works in Node
 * and in the browser): `model/<variable>` F32 tensors, `quantizer/<level>/…` tensors, and a JSON
 * header under the `vqkit.model` metadata key. Async reads only (works on webgpu).
 *
 * @param metadata - extra string entries for the file's metadata (e.g. the options used). @default {}
 */
export async function saveModel(
  model: VQVAE,
  metadata: Readonly<Record<string, string>> = {},
): Promise<Uint8Array> {
  if (Object.hasOwn(metadata, MODEL_FILE_KEY)) {
    fail(
      'saveModel',
      `metadata['${MODEL_FILE_KEY}']`,
      'absent (it holds the model header)',
      'a value',
      'Use another key.',
    );
  }
  const { tensors, quantizers } = await encodeModelState(model);
  const header: ModelFileHeader = {
    format: MODEL_FILE_FORMAT,
    architecture: model.architecture,
    levels: model.levels.map((l) => ({ ...l })),
    quantizers,
  };
  return encodeSafetensors(tensors, { ...metadata, [MODEL_FILE_KEY]: JSON.stringify(header) });
}

/**
 * Loads a file from {@link saveModel} into a model built with the same options. Every weight
 * (name, dtype, shape) and every quantizer level is checked before anything is assigned.
 *
 * @returns the file's other metadata entries (as passed to `saveModel`).
 * @throws ModelsError listing every mismatch, or naming what is wrong with the bytes.
 */
export async function loadModel(model: VQVAE, bytes: Uint8Array): Promise<Record<string, string>> {
  const fn = 'loadModel';
  if (!(bytes instanceof Uint8Array)) {
    fail(
      fn,
      'bytes',
      'a Uint8Array',
      describe(bytes),
      'Pass the bytes from saveModel (e.g. new Uint8Array(await file.arrayBuffer())).',
    );
  }
  let file: ReturnType<typeof decodeSafetensors>;
  try {
    file = decodeSafetensors(bytes);
  } catch (error) {
    fail(
      fn,
      'bytes',
      'a safetensors file',
      `unreadable bytes (${(error as Error).message})`,
      'Pass the bytes from saveModel.',
    );
  }
  const { [MODEL_FILE_KEY]: raw, ...rest } = file.metadata;
  const header = parseHeader(raw);
  if (header.architecture !== model.architecture) {
    fail(
      fn,
      'bytes',
      `a ${model.architecture} model file`,
      `a ${header.architecture} model file`,
      `Load it into a ${header.architecture === 'single' ? 'SingleLevelVQVAE' : 'HierarchicalVQVAE'}.`,
    );
  }
  await decodeModelState(
    model,
    { tensors: file.tensors, quantizers: header.quantizers },
    'the file',
  );
  return rest;
}

function parseHeader(raw: string | undefined): ModelFileHeader {
  const fn = 'loadModel';
  let header: Partial<ModelFileHeader> | null = null;
  try {
    header = JSON.parse(raw ?? 'null') as Partial<ModelFileHeader> | null;
  } catch {
    header = null;
  }
  if (header === null || typeof header !== 'object' || header.format !== MODEL_FILE_FORMAT) {
    fail(
      fn,
      `metadata['${MODEL_FILE_KEY}']`,
      `a '${MODEL_FILE_FORMAT}' header`,
      raw === undefined ? 'none' : describe(header?.format ?? raw),
      'The file was not written by saveModel (for a backbone file from saveWeights, use loadWeights).',
    );
  }
  return header as ModelFileHeader;
}
