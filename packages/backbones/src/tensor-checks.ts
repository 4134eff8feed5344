import { BackbonesError } from './errors';
import type { SafetensorsDtype, SafetensorsTensor } from './safetensors';

/** What a decoded tensor must be (see {@link tensorProblems}). */
export interface TensorSpec {
  /**
   * Allowed element type(s).
   * @default undefined (any)
   */
  dtype?: SafetensorsDtype | readonly SafetensorsDtype[];
  /**
   * Exact shape; `null` for a dimension that may have any size.
   * @default undefined (any)
   */
  shape?: readonly (number | null)[];
  /**
   * Every value finite (no NaN, no ±Inf). Only float dtypes (F64, F32, F16, BF16) can fail it.
   * @default true
   */
  finite?: boolean;
}

/** NaN and ±Inf counts of a tensor's values. */
export interface NonFiniteCount {
  nan: number;
  inf: number;
}

const FLOAT_DTYPES: readonly SafetensorsDtype[] = ['F64', 'F32', 'F16', 'BF16'];

/**
 * Counts the NaN and ±Inf values of a float tensor (F16 and BF16 read from their bit patterns:
 * exponent all ones). Integer and BOOL tensors have none.
 */
export function nonFiniteCount(tensor: SafetensorsTensor): NonFiniteCount {
  const count = { nan: 0, inf: 0 };
  const { dtype, data } = tensor;
  if (dtype === 'F64' || dtype === 'F32') {
    for (const v of data as Float64Array | Float32Array) {
      if (Number.isNaN(v)) count.nan++;
      else if (v === Infinity || v === -Infinity) count.inf++;
    }
  } else if (dtype === 'F16' || dtype === 'BF16') {
    const [exponent, mantissa] = dtype === 'F16' ? [0x7c00, 0x03ff] : [0x7f80, 0x007f];
    for (const bits of data as Uint16Array) {
      if ((bits & exponent) !== exponent) continue;
      if (bits & mantissa) count.nan++;
      else count.inf++;
    }
  }
  return count;
}

function describe(dtype: string, shape: readonly (number | null)[] | undefined): string {
  const dims = shape?.map((d) => (d === null ? '*' : String(d))).join(',');
  return dims === undefined ? dtype : `${dtype} [${dims}]`;
}

/** "12 NaN values and 1 infinite value". */
function nonFiniteText({ nan, inf }: NonFiniteCount): string {
  const parts: string[] = [];
  if (nan > 0) parts.push(`${nan} NaN value${nan === 1 ? '' : 's'}`);
  if (inf > 0) parts.push(`${inf} infinite value${inf === 1 ? '' : 's'}`);
  return parts.join(' and ');
}

/**
 * Everything wrong with tensor `name` against `spec`, one sentence each (empty when it
 * conforms): missing, wrong dtype and/or shape, non-finite values (counted). Checkpoint
 * readers use it to say "tensor 'x' has 12 NaN values" instead of computing with garbage.
 */
export function tensorProblems(
  name: string,
  tensor: SafetensorsTensor | undefined,
  spec: TensorSpec,
): string[] {
  const dtypes =
    spec.dtype === undefined ? undefined : ([] as SafetensorsDtype[]).concat(spec.dtype);
  const want = describe(dtypes?.join('|') ?? 'any dtype', spec.shape);
  if (tensor === undefined) return [`missing tensor '${name}' (expected ${want})`];
  const dtypeOk = dtypes === undefined || dtypes.includes(tensor.dtype);
  const shapeOk =
    spec.shape === undefined ||
    (tensor.shape.length === spec.shape.length &&
      tensor.shape.every((d, i) => spec.shape![i] === null || spec.shape![i] === d));
  if (!dtypeOk || !shapeOk) {
    const what = [dtypeOk ? '' : 'dtype', shapeOk ? '' : 'shape'].filter(Boolean).join(' and ');
    const got = describe(tensor.dtype, tensor.shape);
    return [`tensor '${name}': wrong ${what}, expected ${want}, file has ${got}`];
  }
  if ((spec.finite ?? true) && FLOAT_DTYPES.includes(tensor.dtype)) {
    const bad = nonFiniteCount(tensor);
    if (bad.nan + bad.inf > 0) {
      return [
        `tensor '${name}' (${describe(tensor.dtype, tensor.shape)}) has ${nonFiniteText(bad)}`,
      ];
    }
  }
  return [];
}

/** Options of {@link checkTensors}. */
export interface CheckTensorsOptions {
  /**
   * Also refuse tensors that `specs` does not name.
   * @default false
   */
  strict?: boolean;
  /**
   * What holds the tensors, for the message (e.g. the checkpoint's path).
   * @default 'the file'
   */
  what?: string;
}

/**
 * Checks decoded tensors against a spec per name (see {@link tensorProblems}) and throws one
 * error listing every problem.
 *
 * @example
 * const file = decodeSafetensors(bytes);
 * checkTensors(file.tensors, { 'adam.m.0': { dtype: 'F32', shape: [3, 3, 8, 16] } }, { what: path });
 *
 * @throws {BackbonesError} whose `problems` list every missing, wrong-dtype, wrong-shape,
 *   non-finite (and with `strict`, unexpected) tensor.
 */
export function checkTensors(
  tensors: Readonly<Record<string, SafetensorsTensor>>,
  specs: Readonly<Record<string, TensorSpec>>,
  options: CheckTensorsOptions = {},
): void {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const tensor = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
    problems.push(...tensorProblems(name, tensor, spec));
  }
  if (options.strict) {
    for (const [name, t] of Object.entries(tensors)) {
      if (!Object.hasOwn(specs, name)) {
        problems.push(`unexpected tensor '${name}' (${describe(t.dtype, t.shape)})`);
      }
    }
  }
  if (problems.length === 0) return;
  const what = options.what ?? 'the file';
  throw new BackbonesError(
    `checkTensors: ${what} does not hold what was expected (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}. Re-create it with the configuration it was saved from, or restore it from a backup.`,
    problems,
  );
}
