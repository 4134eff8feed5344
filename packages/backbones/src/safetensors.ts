import { BackbonesError } from './errors';

/** Element types of the safetensors format supported here. */
export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'U64'
  | 'I32'
  | 'U32'
  | 'I16'
  | 'U16'
  | 'I8'
  | 'U8'
  | 'BOOL';

/**
 * The typed array holding a tensor's elements. F16 and BF16 are raw 16-bit patterns in a
 * `Uint16Array`; BOOL is a `Uint8Array` of 0/1; I64/U64 are `BigInt64Array`/`BigUint64Array`.
 */
export type SafetensorsData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/** One tensor: element type, row-major shape, and `prod(shape)` elements. */
export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsData;
}

/** The decoded contents of a safetensors file. */
export interface SafetensorsFile {
  /** Tensors by name, in file order (a prototype-free object: any name is a plain key). */
  tensors: Record<string, SafetensorsTensor>;
  /** The `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>;
}

type TypedCtor = {
  new (n: number): SafetensorsData;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

const DTYPES: Record<SafetensorsDtype, TypedCtor> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  I32: Int32Array,
  U32: Uint32Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

/** The reference implementation's limit on the JSON header (100 MB). */
const MAX_HEADER_BYTES = 100_000_000;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isDtype(d: unknown): d is SafetensorsDtype {
  return typeof d === 'string' && Object.hasOwn(DTYPES, d);
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** Copies `src` bytes into `dst` at `offset`, reversing each `size`-byte element on big-endian hosts. */
function copyLittleEndian(src: Uint8Array, dst: Uint8Array, offset: number, size: number): void {
  if (LITTLE_ENDIAN_HOST || size === 1) {
    dst.set(src, offset);
    return;
  }
  for (let i = 0; i < src.length; i += size) {
    for (let j = 0; j < size; j++) dst[offset + i + j] = src[i + size - 1 - j]!;
  }
}

/**
 * Serialises tensors to the safetensors format: an 8-byte little-endian u64 header length N, an
 * N-byte UTF-8 JSON header `{"__metadata__": {…}, name: {"dtype", "shape", "data_offsets": [begin, end]}}`
 * padded with spaces to a multiple of 8, then every tensor's little-endian bytes, contiguous, with
 * offsets relative to the start of the data. Tensors are laid out by element size (largest first,
 * then in the given order), so every tensor starts aligned to its element size.
 *
 * @param tensors tensors by name; `data.length` must equal `prod(shape)` and the typed array must
 *   match the dtype (see {@link SafetensorsData}).
 * @param metadata free-form string map stored as `__metadata__`. @default {}
 * @throws {BackbonesError} listing every invalid tensor or metadata entry.
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const fn = 'encodeSafetensors';
  const problems: string[] = [];
  if (tensors === null || typeof tensors !== 'object') {
    throw new BackbonesError(
      `${fn}: tensors must be an object mapping names to { dtype, shape, data }, got ${String(tensors)}.`,
    );
  }
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string')
      problems.push(
        `metadata '${k}' must be a string, got ${typeof v} (use String(value) or JSON.stringify)`,
      );
  }
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === '' || name === '__metadata__') {
      problems.push(`tensor name ${JSON.stringify(name)} is reserved or empty; rename it`);
      continue;
    }
    if (t === null || typeof t !== 'object') {
      problems.push(`tensor '${name}' must be { dtype, shape, data }, got ${String(t)}`);
      continue;
    }
    if (!isDtype(t.dtype)) {
      problems.push(
        `tensor '${name}' has unknown dtype ${JSON.stringify(t.dtype)}; use one of ${Object.keys(DTYPES).join(', ')}`,
      );
      continue;
    }
    if (!isShape(t.shape)) {
      problems.push(
        `tensor '${name}' has invalid shape ${JSON.stringify(t.shape)}; use an array of non-negative integers`,
      );
      continue;
    }
    const ctor = DTYPES[t.dtype];
    if (!(t.data instanceof ctor)) {
      const got =
        (t.data as { constructor?: { name?: string } } | null)?.constructor?.name ?? String(t.data);
      problems.push(`tensor '${name}' (${t.dtype}) needs data as a ${ctor.name}, got ${got}`);
      continue;
    }
    if (t.data.length !== numel(t.shape)) {
      problems.push(
        `tensor '${name}' has ${t.data.length} elements but shape [${t.shape.join(',')}] needs ${numel(t.shape)}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new BackbonesError(
      `${fn}: ${problems.length} invalid entr${problems.length === 1 ? 'y' : 'ies'}: ${problems.join('; ')}.`,
      problems,
    );
  }
  const order = entries
    .map(([name, t], i) => ({ name, t, i, size: DTYPES[t.dtype].BYTES_PER_ELEMENT }))
    .sort((a, b) => b.size - a.size || a.i - b.i);
  // Prototype-free, so a tensor named '__proto__' is an ordinary key.
  const header: Record<string, unknown> = Object.create(null);
  if (Object.keys(metadata ?? {}).length > 0) header['__metadata__'] = { ...metadata };
  let offset = 0;
  for (const { name, t, size } of order) {
    const bytes = t.data.length * size;
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const { t, size } of order) {
    const src = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    copyLittleEndian(src, out, at, size);
    at += src.length;
  }
  return out;
}

/**
 * Parses a safetensors file. Only JSON is parsed (never evaluated) and every tensor is copied out
 * of `bytes` (the result shares no memory with it). Validates like the reference implementation:
 * header length within the file and ≤ 100 MB, a UTF-8 JSON object, string-valued `__metadata__`,
 * for each tensor a known dtype, a shape of non-negative integers and `data_offsets` whose length is
 * `prod(shape) · itemsize`, and offsets that cover the data section exactly (no gaps, no overlaps,
 * nothing after the last tensor).
 * @throws {BackbonesError} listing every problem found.
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  const fn = 'decodeSafetensors';
  const fail = (problems: string[]): never => {
    throw new BackbonesError(
      `${fn}: not a valid safetensors file: ${problems.join('; ')}. Re-export it with encodeSafetensors/saveWeights or the safetensors library.`,
      problems,
    );
  };
  if (!(bytes instanceof Uint8Array)) {
    throw new BackbonesError(
      `${fn}: bytes must be a Uint8Array, got ${String(bytes)}. Read the file into a Uint8Array first.`,
    );
  }
  if (bytes.length < 8)
    fail([`file is ${bytes.length} bytes, shorter than the 8-byte header length`]);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    fail([
      `header length ${n} exceeds the ${bytes.length - 8} bytes after the length field (or the 100 MB limit)`,
    ]);
  }
  const headerLen = Number(n);
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
    if (!text.startsWith('{')) fail(['header does not start with "{"']);
    header = JSON.parse(text);
  } catch (e) {
    if (e instanceof BackbonesError) throw e;
    fail([`header is not valid UTF-8 JSON (${(e as Error).message})`]);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    fail(['header is not a JSON object']);
  const problems: string[] = [];
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = Object.create(null);
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors: Record<string, SafetensorsTensor> = Object.create(null);
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        problems.push('__metadata__ must be an object of strings');
        continue;
      }
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string')
          problems.push(`__metadata__ '${k}' must be a string, got ${JSON.stringify(v)}`);
        else metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (info === null || typeof info !== 'object' || Array.isArray(info)) {
      problems.push(`tensor '${name}' entry is not an object`);
      continue;
    }
    const { dtype, shape, data_offsets: off } = info;
    if (!isDtype(dtype)) {
      problems.push(`tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}`);
      continue;
    }
    if (!isShape(shape)) {
      problems.push(`tensor '${name}' has invalid shape ${JSON.stringify(shape)}`);
      continue;
    }
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      off[0] > off[1]
    ) {
      problems.push(
        `tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}; expected [begin, end] with 0 ≤ begin ≤ end`,
      );
      continue;
    }
    const [begin, end] = off as [number, number];
    const size = DTYPES[dtype].BYTES_PER_ELEMENT;
    const count = numel(shape);
    if (end - begin !== count * size) {
      problems.push(
        `tensor '${name}' (${dtype} [${shape.join(',')}]) needs ${count * size} bytes but data_offsets [${begin},${end}] span ${end - begin}`,
      );
      continue;
    }
    if (end > dataLen) {
      problems.push(
        `tensor '${name}' data_offsets [${begin},${end}] run past the ${dataLen}-byte data section`,
      );
      continue;
    }
    spans.push({ name, begin, end });
    const data = new DTYPES[dtype](count);
    copyLittleEndian(
      bytes.subarray(dataStart + begin, dataStart + end),
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      0,
      size,
    );
    tensors[name] = { dtype, shape: [...shape], data };
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const s of spans) {
    if (s.begin > expected)
      problems.push(`bytes [${expected},${s.begin}) before tensor '${s.name}' belong to no tensor`);
    if (s.begin < expected)
      problems.push(
        `tensor '${s.name}' data_offsets [${s.begin},${s.end}] overlap the previous tensor`,
      );
    expected = Math.max(expected, s.end);
  }
  if (problems.length === 0 && expected !== dataLen) {
    problems.push(`bytes [${expected},${dataLen}) after the last tensor belong to no tensor`);
  }
  if (problems.length > 0) fail(problems);
  return { tensors, metadata };
}
