import * as tf from '@tensorflow/tfjs-core';
import type { SafetensorsDtype, SafetensorsTensor } from '@vqkit/backbones';
import { ModelsError } from './errors';

/** A JSON value: what {@link encodeState} leaves of a state once its arrays are tensors. */
export type StateSkeleton = unknown;

/**
 * Splits an arbitrary state object (quantizer states, loader states, …) into a JSON skeleton and
 * binary tensors, so the whole thing fits into one safetensors file: every typed array (or
 * tf.Tensor) becomes a tensor named `${prefix}/${path}` in `tensors` and is replaced in the
 * skeleton by `{ "$tensor": name, "array": "Float32Array" }` (plus `shape` and `tfTensor` for a
 * tf.Tensor). Numbers, strings, booleans, null, arrays and plain objects stay in the skeleton;
 * NaN, ±Infinity, -0 and `undefined` are tagged so they survive JSON. Exact: {@link decodeState}
 * gives back equal values, bit for bit.
 *
 * @throws {@link ModelsError} for values that cannot be stored (64-bit integer arrays, functions, symbols).
 */
export async function encodeState(
  value: unknown,
  prefix: string,
  tensors: Record<string, SafetensorsTensor>,
): Promise<StateSkeleton> {
  if (value instanceof tf.Tensor) {
    if (value.dtype === 'string') {
      throw new ModelsError(
        `encodeState: tensor at '${prefix}' must be numeric, got a string tensor. Leave it out of the state.`,
      );
    }
    const node = await encodeState(await value.data(), prefix, tensors);
    return { ...(node as object), shape: [...value.shape], tfTensor: value.dtype };
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const kind = ARRAYS.find((a) => value instanceof a.ctor);
    if (kind === undefined) {
      throw new ModelsError(
        `encodeState: value at '${prefix}' must be an 8/16/32-bit integer or float array, got a ${value.constructor.name}. Store it as a Float64Array or split it.`,
      );
    }
    const data = new kind.ctor(value as unknown as ArrayLike<number>);
    tensors[prefix] = { dtype: kind.dtype, shape: [data.length], data };
    return { $tensor: prefix, array: kind.ctor.name };
  }
  if (typeof value === 'number') {
    // JSON has no NaN, ±Infinity or -0: tag them (String(-0) is '0', so spell it out).
    if (Object.is(value, -0)) return { $number: '-0' };
    return Number.isFinite(value) ? value : { $number: String(value) };
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value === undefined) return { $undefined: true };
  if (Array.isArray(value)) {
    const out: StateSkeleton[] = [];
    for (let i = 0; i < value.length; i++) {
      out.push(await encodeState(value[i], `${prefix}/${i}`, tensors));
    }
    return out;
  }
  if (typeof value === 'object') {
    const out: Record<string, StateSkeleton> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      setOwn(out, k, await encodeState(v, `${prefix}/${k}`, tensors));
    }
    return out;
  }
  throw new ModelsError(
    `encodeState: value at '${prefix}' must be plain data (numbers, strings, booleans, arrays, typed arrays, objects), got a ${typeof value}. Leave it out of the state.`,
  );
}

/**
 * Inverse of {@link encodeState}: rebuilds the state with fresh typed arrays (and tf.Tensors).
 * @throws {@link ModelsError} when a tensor named in the skeleton is missing from `tensors`.
 */
export function decodeState(
  node: StateSkeleton,
  tensors: Readonly<Record<string, SafetensorsTensor>>,
): unknown {
  if (Array.isArray(node)) return node.map((n) => decodeState(n, tensors));
  if (node === null || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  if (typeof obj.$number === 'string') return Number(obj.$number);
  if (obj.$undefined === true) return undefined;
  if (typeof obj.$tensor === 'string') return decodeTensor(obj, obj.$tensor, tensors);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) setOwn(out, k, decodeState(v, tensors));
  return out;
}

/** `target[key] = value` as an own data property, even for the key `'__proto__'`. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function decodeTensor(
  obj: Record<string, unknown>,
  name: string,
  tensors: Readonly<Record<string, SafetensorsTensor>>,
): unknown {
  const t = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
  if (t === undefined) {
    throw new ModelsError(
      `decodeState: tensor '${name}' named in the metadata must be in the file, got no such tensor. The file is damaged; use an older copy.`,
    );
  }
  const kind = ARRAYS.find((a) => a.ctor.name === obj.array);
  if (kind === undefined) {
    throw new ModelsError(
      `decodeState: array type of '${name}' must be one of ${ARRAYS.map((a) => a.ctor.name).join(', ')}, got ${JSON.stringify(obj.array)}. The file is damaged; use an older copy.`,
    );
  }
  const data = new kind.ctor(t.data as unknown as ArrayLike<number>);
  if (typeof obj.tfTensor === 'string') {
    return tf.tensor(data as Float32Array, obj.shape as number[], obj.tfTensor as tf.DataType);
  }
  return data;
}

type NumericArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor;

const ARRAYS: { ctor: NumericArrayCtor; dtype: SafetensorsDtype }[] = [
  { ctor: Float32Array, dtype: 'F32' },
  { ctor: Float64Array, dtype: 'F64' },
  { ctor: Int32Array, dtype: 'I32' },
  { ctor: Uint32Array, dtype: 'U32' },
  { ctor: Int16Array, dtype: 'I16' },
  { ctor: Uint16Array, dtype: 'U16' },
  { ctor: Int8Array, dtype: 'I8' },
  { ctor: Uint8Array, dtype: 'U8' },
];
