import { crc32, crc32Hex } from './crc32';
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
  /** The `__metadata__` string map ({} when absent), without the checksum entries. */
  metadata: Record<string, string>;
  /** Whether the file carried vqkit's checksums (they were verified: a mismatch throws). */
  checksummed: boolean;
}

/**
 * The `__metadata__` keys of the checksums {@link encodeSafetensors} writes (8 lowercase hex
 * digits each): the CRC-32 of the data section, and the CRC-32 of the header's content (tensor
 * names, dtypes, shapes, offsets and the other metadata, in a canonical form), so that a
 * changed byte anywhere in the file is detected.
 */
export const CHECKSUM_KEYS = {
  data: 'vqkit.crc32.data',
  header: 'vqkit.crc32.header',
} as const;

/** Options of {@link encodeSafetensors}. */
export interface EncodeSafetensorsOptions {
  /**
   * Store the CRC-32s of the data section and of the header content in `__metadata__` (see
   * {@link CHECKSUM_KEYS}); {@link decodeSafetensors} verifies them. Other readers ignore them.
   * @default true
   */
  checksum?: boolean;
}

/** Options of {@link decodeSafetensors}. */
export interface DecodeSafetensorsOptions {
  /**
   * Refuse a file that carries no checksums (e.g. written by another tool, or by vqkit before
   * checksums existed). Checksums that are present are always verified.
   * @default false
   */
  requireChecksum?: boolean;
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

/** Problems listed in one error at most (the rest are counted), bounding its size. */
const MAX_LISTED_PROBLEMS = 50;

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

/** Where one tensor's bytes lie in the data section. */
interface Span {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * CRC-32 of a header's content in a canonical form — metadata without the checksum keys sorted
 * by key, tensors sorted by name as [name, dtype, shape, begin, end] — so key order and padding
 * do not matter, but every name, dtype, shape, offset and metadata value does.
 */
function headerCrc(metadata: Record<string, string>, spans: readonly Span[]): string {
  const checksumKeys: readonly string[] = Object.values(CHECKSUM_KEYS);
  const meta = Object.keys(metadata)
    .filter((k) => !checksumKeys.includes(k))
    .sort()
    .map((k) => [k, metadata[k]]);
  const table = [...spans]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((s) => [s.name, s.dtype, s.shape, s.begin, s.end]);
  return crc32Hex(crc32(new TextEncoder().encode(JSON.stringify([meta, table]))));
}

/** Lists what is wrong with the arguments of {@link encodeSafetensors}. */
function encodeProblems(
  tensors: Record<string, SafetensorsTensor>,
  metadata: Record<string, string>,
): string[] {
  const problems: string[] = [];
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string')
      problems.push(
        `metadata '${k}' must be a string, got ${typeof v} (use String(value) or JSON.stringify)`,
      );
    if ((Object.values(CHECKSUM_KEYS) as string[]).includes(k))
      problems.push(`metadata key '${k}' is reserved for the checksum; rename it`);
  }
  for (const [name, t] of Object.entries(tensors)) {
    const problem = tensorEncodeProblem(name, t);
    if (problem) problems.push(problem);
  }
  return problems;
}

function tensorEncodeProblem(name: string, t: SafetensorsTensor): string | undefined {
  if (name === '' || name === '__metadata__') {
    return `tensor name ${JSON.stringify(name)} is reserved or empty; rename it`;
  }
  if (t === null || typeof t !== 'object') {
    return `tensor '${name}' must be { dtype, shape, data }, got ${String(t)}`;
  }
  if (!isDtype(t.dtype)) {
    return `tensor '${name}' has unknown dtype ${JSON.stringify(t.dtype)}; use one of ${Object.keys(DTYPES).join(', ')}`;
  }
  if (!isShape(t.shape)) {
    return `tensor '${name}' has invalid shape ${JSON.stringify(t.shape)}; use an array of non-negative integers`;
  }
  const ctor = DTYPES[t.dtype];
  if (!(t.data instanceof ctor)) {
    const got =
      (t.data as { constructor?: { name?: string } } | null)?.constructor?.name ?? String(t.data);
    return `tensor '${name}' (${t.dtype}) needs data as a ${ctor.name}, got ${got}`;
  }
  if (t.data.length !== numel(t.shape)) {
    return `tensor '${name}' has ${t.data.length} elements but shape [${t.shape.join(',')}] needs ${numel(t.shape)}`;
  }
  return undefined;
}

/** The problems as one message list, at most {@link MAX_LISTED_PROBLEMS} of them. */
function capped(problems: readonly string[]): string[] {
  if (problems.length <= MAX_LISTED_PROBLEMS) return [...problems];
  const more = problems.length - MAX_LISTED_PROBLEMS;
  return [...problems.slice(0, MAX_LISTED_PROBLEMS), `and ${more} more problem(s)`];
}

/**
 * Serialises tensors to the safetensors format: an 8-byte little-endian u64 header length N, an
 * N-byte UTF-8 JSON header `{"__metadata__": {…}, name: {"dtype", "shape", "data_offsets": [begin, end]}}`
 * padded with spaces to a multiple of 8, then every tensor's little-endian bytes, contiguous, with
 * offsets relative to the start of the data. Tensors are laid out by element size (largest first,
 * then in the given order), so every tensor starts aligned to its element size. With `checksum`
 * (the default) the metadata also records CRC-32s of the data and of the header content.
 *
 * @param tensors tensors by name; `data.length` must equal `prod(shape)` and the typed array must
 *   match the dtype (see {@link SafetensorsData}).
 * @param metadata free-form string map stored as `__metadata__`. @default {}
 * @throws {BackbonesError} listing every invalid tensor or metadata entry.
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsTensor>,
  metadata: Record<string, string> = {},
  options: EncodeSafetensorsOptions = {},
): Uint8Array {
  const fn = 'encodeSafetensors';
  if (tensors === null || typeof tensors !== 'object') {
    throw new BackbonesError(
      `${fn}: tensors must be an object mapping names to { dtype, shape, data }, got ${String(tensors)}.`,
    );
  }
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new BackbonesError(
      `${fn}: metadata must be an object of strings, got ${JSON.stringify(metadata)}. Pass {} for none.`,
    );
  }
  const problems = encodeProblems(tensors, metadata);
  if (problems.length > 0) {
    const listed = capped(problems);
    throw new BackbonesError(
      `${fn}: ${problems.length} invalid entr${problems.length === 1 ? 'y' : 'ies'}: ${listed.join('; ')}.`,
      listed,
    );
  }
  const order = Object.entries(tensors)
    .map(([name, t], i) => ({ name, t, i, size: DTYPES[t.dtype].BYTES_PER_ELEMENT }))
    .sort((a, b) => b.size - a.size || a.i - b.i);
  const spans: Span[] = [];
  let offset = 0;
  for (const { name, t, size } of order) {
    const bytes = t.data.length * size;
    spans.push({ name, dtype: t.dtype, shape: [...t.shape], begin: offset, end: offset + bytes });
    offset += bytes;
  }
  const data = new Uint8Array(offset);
  order.forEach(({ t, size }, k) => {
    const src = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    copyLittleEndian(src, data, spans[k]!.begin, size);
  });
  const meta: Record<string, string> = { ...metadata };
  if (options.checksum ?? true) {
    meta[CHECKSUM_KEYS.header] = headerCrc(meta, spans);
    meta[CHECKSUM_KEYS.data] = crc32Hex(crc32(data));
  }
  return assemble(meta, spans, data);
}

/** Header (length, JSON padded to 8 bytes) followed by the data section. */
function assemble(meta: Record<string, string>, spans: readonly Span[], data: Uint8Array) {
  // Prototype-free, so a tensor named '__proto__' is an ordinary key.
  const header: Record<string, unknown> = Object.create(null);
  if (Object.keys(meta).length > 0) header['__metadata__'] = meta;
  for (const s of spans) {
    header[s.name] = { dtype: s.dtype, shape: s.shape, data_offsets: [s.begin, s.end] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.fill(0x20, 8, 8 + padded);
  out.set(json, 8);
  out.set(data, 8 + padded);
  return out;
}

type Fail = (problems: string[]) => never;

/** The parsed JSON header and where the data section starts; fails on anything malformed. */
function readHeader(bytes: Uint8Array, fail: Fail): { header: object; dataStart: number } {
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
  return { header: header as object, dataStart: 8 + headerLen };
}

/** `__metadata__` as a string map, listing non-string values as problems. */
function readMetadata(raw: unknown, problems: string[]): Record<string, string> {
  const metadata: Record<string, string> = Object.create(null);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push('__metadata__ must be an object of strings');
    return metadata;
  }
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string')
      problems.push(`__metadata__ '${k}' must be a string, got ${JSON.stringify(v)}`);
    else metadata[k] = v;
  }
  return metadata;
}

/** One header entry as a {@link Span}, or a problem. */
function readSpan(name: string, raw: unknown, dataLen: number): Span | string {
  const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (info === null || typeof info !== 'object' || Array.isArray(info)) {
    return `tensor '${name}' entry is not an object`;
  }
  const { dtype, shape, data_offsets: off } = info;
  if (!isDtype(dtype)) return `tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}`;
  if (!isShape(shape)) return `tensor '${name}' has invalid shape ${JSON.stringify(shape)}`;
  if (
    !Array.isArray(off) ||
    off.length !== 2 ||
    !off.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    off[0] > off[1]
  ) {
    return `tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}; expected [begin, end] with 0 ≤ begin ≤ end`;
  }
  const [begin, end] = off as [number, number];
  const bytes = numel(shape) * DTYPES[dtype].BYTES_PER_ELEMENT;
  if (end - begin !== bytes) {
    return `tensor '${name}' (${dtype} [${shape.join(',')}]) needs ${bytes} bytes but data_offsets [${begin},${end}] span ${end - begin}`;
  }
  if (end > dataLen) {
    return `tensor '${name}' data_offsets [${begin},${end}] run past the ${dataLen}-byte data section`;
  }
  return { name, dtype, shape: [...shape], begin, end };
}

/**
 * Gaps, overlaps and trailing bytes: the spans must tile the data section exactly. Trailing
 * bytes are only reported when `complete` (no entry was invalid, so none is missing here).
 */
function layoutProblems(spans: readonly Span[], dataLen: number, complete: boolean): string[] {
  const problems: string[] = [];
  const sorted = [...spans].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const s of sorted) {
    if (s.begin > expected)
      problems.push(`bytes [${expected},${s.begin}) before tensor '${s.name}' belong to no tensor`);
    if (s.begin < expected)
      problems.push(
        `tensor '${s.name}' data_offsets [${s.begin},${s.end}] overlap the previous tensor`,
      );
    expected = Math.max(expected, s.end);
  }
  if (complete && problems.length === 0 && expected !== dataLen) {
    problems.push(`bytes [${expected},${dataLen}) after the last tensor belong to no tensor`);
  }
  return problems;
}

/**
 * Verifies the checksums when the file has them; returns whether it had them.
 * @throws {BackbonesError} saying the file is damaged when a checksum is malformed or differs.
 */
function verifyChecksums(
  metadata: Record<string, string>,
  spans: readonly Span[],
  data: Uint8Array,
  requireChecksum: boolean,
): boolean {
  const fn = 'decodeSafetensors';
  const stored = { data: metadata[CHECKSUM_KEYS.data], header: metadata[CHECKSUM_KEYS.header] };
  const damaged = (what: string) =>
    new BackbonesError(
      `${fn}: the file is damaged: ${what}. Its bytes changed after it was written (a disk or copy error, or an edit); restore it from a backup or re-create it.`,
    );
  if (stored.data === undefined && stored.header === undefined) {
    if (!requireChecksum) return false;
    throw new BackbonesError(
      `${fn}: the file carries no checksum (no '${CHECKSUM_KEYS.data}' in its metadata) and requireChecksum is set. Re-save it with encodeSafetensors or saveWeights, or decode it without requireChecksum.`,
    );
  }
  for (const [part, value] of Object.entries(stored)) {
    if (value === undefined || !/^[0-9a-f]{8}$/.test(value)) {
      const key = CHECKSUM_KEYS[part as keyof typeof CHECKSUM_KEYS];
      throw damaged(`its checksum '${key}' is ${JSON.stringify(value)}, expected 8 hex digits`);
    }
  }
  const header = headerCrc(metadata, spans);
  if (header !== stored.header) {
    throw damaged(
      `the CRC-32 of its header (tensor names, dtypes, shapes, offsets, metadata) is ${header}, but it records ${stored.header}`,
    );
  }
  const actual = crc32Hex(crc32(data));
  if (actual !== stored.data) {
    throw damaged(`the CRC-32 of its data section is ${actual}, but it records ${stored.data}`);
  }
  return true;
}

/**
 * Parses a safetensors file. Only JSON is parsed (never evaluated) and every tensor is copied out
 * of `bytes` (the result shares no memory with it, and holds at most `bytes.length` bytes).
 * Validates like the reference implementation — header length within the file and ≤ 100 MB, a
 * UTF-8 JSON object, string-valued `__metadata__`, for each tensor a known dtype, a shape of
 * non-negative integers and `data_offsets` whose length is `prod(shape) · itemsize`, and offsets
 * that cover the data section exactly (no gaps, no overlaps, nothing after the last tensor) —
 * then verifies vqkit's checksums when present (see {@link CHECKSUM_KEYS}).
 * @throws {BackbonesError} for every malformed or damaged input (never another error type),
 *   listing every problem found (the first 50).
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: DecodeSafetensorsOptions = {},
): SafetensorsFile {
  const fn = 'decodeSafetensors';
  const fail: Fail = (problems) => {
    const listed = capped(problems);
    throw new BackbonesError(
      `${fn}: not a valid safetensors file: ${listed.join('; ')}. Re-export it with encodeSafetensors/saveWeights or the safetensors library.`,
      listed,
    );
  };
  if (!(bytes instanceof Uint8Array)) {
    throw new BackbonesError(
      `${fn}: bytes must be a Uint8Array, got ${String(bytes)}. Read the file into a Uint8Array first.`,
    );
  }
  const { header, dataStart } = readHeader(bytes, fail);
  const data = bytes.subarray(dataStart);
  const problems: string[] = [];
  let metadata: Record<string, string> = Object.create(null);
  const spans: Span[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = readMetadata(raw, problems);
      continue;
    }
    const span = readSpan(name, raw, data.length);
    if (typeof span === 'string') problems.push(span);
    else spans.push(span);
  }
  problems.push(...layoutProblems(spans, data.length, problems.length === 0));
  if (problems.length > 0) fail(problems);
  const checksummed = verifyChecksums(metadata, spans, data, options.requireChecksum ?? false);
  for (const key of Object.values(CHECKSUM_KEYS)) delete metadata[key];
  const tensors: Record<string, SafetensorsTensor> = Object.create(null);
  for (const { name, dtype, shape, begin, end } of spans) {
    const t = new DTYPES[dtype](numel(shape));
    const size = DTYPES[dtype].BYTES_PER_ELEMENT;
    copyLittleEndian(data.subarray(begin, end), new Uint8Array(t.buffer, 0, t.byteLength), 0, size);
    tensors[name] = { dtype, shape, data: t };
  }
  return { tensors, metadata, checksummed };
}
