/**
 * The GEMM micro-kernel as a WebAssembly SIMD function, assembled here from its instructions (no
 * binary blob): a 4×8 tile `T = Σ_p A[:, p] ⊗ B[p, :]` over packed panels in the module's own
 * memory, four f32x4 splats of A against two f32x4 loads of B per step (16 mul+add on 8 vector
 * accumulators), the tile stored to `out` as 32 row-major floats. Accumulation is float32.
 *
 * Signature: `k(kc, aByteOffset, bByteOffset, outByteOffset)`, `kc ≥ 1`;
 * A panel: element `(i, p)` at `a + 4 · (4p + i)`; B panel: element `(p, j)` at `b + 4 · (8p + j)`.
 */

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (small constants). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function str(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

// Opcodes.
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const LOOP = 0x03;
const BR_IF = 0x0d;
const END = 0x0b;
const VOID = 0x40;
const I32 = 0x7f;
const V128 = 0x7b;
const simd = (op: number) => [0xfd, ...uleb(op)];
const V128_LOAD = 0x00;
const V128_LOAD32_SPLAT = 0x09;
const V128_STORE = 0x0b;
const F32X4_ADD = 0xe4;
const F32X4_MUL = 0xe6;
/** memarg: alignment hint 2^2 (4 bytes: panels are float-aligned), byte offset. */
const memarg = (offset: number) => [2, ...uleb(offset)];

/** Bytes of the module: exports `k` (the micro-kernel) and `m` (its memory, 1 page initially). */
export function microKernelModuleBytes(): Uint8Array {
  // Locals: 0 kc, 1 a, 2 b, 3 out (params); 4..11 accumulators c[i][h] at 4 + 2i + h;
  // 12, 13 the two B vectors; 14 the A splat.
  const KC = 0;
  const A = 1;
  const B = 2;
  const OUT = 3;
  const acc = (i: number, h: number) => 4 + 2 * i + h;
  const B0 = 12;
  const AS = 14;
  const body: number[] = [];
  body.push(LOOP, VOID);
  for (let h = 0; h < 2; h++) {
    body.push(LOCAL_GET, B, ...simd(V128_LOAD), ...memarg(16 * h), LOCAL_SET, B0 + h);
  }
  for (let i = 0; i < 4; i++) {
    body.push(LOCAL_GET, A, ...simd(V128_LOAD32_SPLAT), ...memarg(4 * i), LOCAL_SET, AS);
    for (let h = 0; h < 2; h++) {
      body.push(LOCAL_GET, acc(i, h), LOCAL_GET, AS, LOCAL_GET, B0 + h);
      body.push(...simd(F32X4_MUL), ...simd(F32X4_ADD), LOCAL_SET, acc(i, h));
    }
  }
  body.push(LOCAL_GET, A, I32_CONST, ...sleb(16), I32_ADD, LOCAL_SET, A);
  body.push(LOCAL_GET, B, I32_CONST, ...sleb(32), I32_ADD, LOCAL_SET, B);
  body.push(LOCAL_GET, KC, I32_CONST, ...sleb(1), I32_SUB, LOCAL_TEE, KC, BR_IF, 0);
  body.push(END);
  for (let i = 0; i < 4; i++) {
    for (let h = 0; h < 2; h++) {
      body.push(
        LOCAL_GET,
        OUT,
        LOCAL_GET,
        acc(i, h),
        ...simd(V128_STORE),
        ...memarg(32 * i + 16 * h),
      );
    }
  }
  body.push(END);
  const locals = [1, 11, V128];
  const func = [...locals, ...body];
  const code = [1, ...uleb(func.length), ...func];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, 4, I32, I32, I32, I32, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...str('k'), 0x00, 0, ...str('m'), 0x02, 0]),
    ...section(10, code),
  ]);
}

/** The parts of the WebAssembly JS API used here (the repo compiles without the DOM lib). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The instantiated micro-kernel and its memory. */
export interface WasmMicroKernel {
  kernel: (kc: number, a: number, b: number, out: number) => void;
  memory: WasmMemory;
}

/**
 * Instantiates the micro-kernel synchronously, or returns null where WebAssembly SIMD is not
 * available (the JS micro-kernel is used then).
 */
export function instantiateMicroKernel(): WasmMicroKernel | null {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (api == null) return null;
  const bytes = microKernelModuleBytes();
  if (!api.validate(bytes)) return null;
  const { exports } = new api.Instance(new api.Module(bytes), {});
  return { kernel: exports.k as WasmMicroKernel['kernel'], memory: exports.m as WasmMemory };
}
