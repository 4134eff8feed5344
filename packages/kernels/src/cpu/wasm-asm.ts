/**
 * A minimal WebAssembly assembler: LEB128 encodings, sections, opcodes and the module frame the
 * cpu kernels share. Every kernel module imports its memory as `env.memory` (shared for the
 * worker pool, unshared on the calling thread) and exports one function `k`.
 */

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

/** Core opcodes used by the kernels. */
export const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Ne: 0x47,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  void: 0x40,
  i32: 0x7f,
  v128: 0x7b,
} as const;

/** SIMD opcodes (prefix 0xfd) used by the kernels. */
export const SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  i32x4Splat: 0x11,
  f32x4Lt: 0x43,
  bitselect: 0x52,
  i32x4Add: 0xae,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  /** Relaxed SIMD `f32x4.relaxed_madd(a, b, c) = a · b + c` (fused where the CPU has FMA). */
  f32x4RelaxedMadd: 0x105,
} as const;

/** The bytes of a SIMD instruction. */
export function simd(op: number): number[] {
  return [0xfd, ...uleb(op)];
}

/** memarg of a load/store: alignment 2^`align` bytes and a constant byte offset. */
export function memarg(offset: number, align = 2): number[] {
  return [align, ...uleb(offset)];
}

/** Largest memory any kernel module accepts: 65,536 pages of 64 KiB (4 GiB, the wasm32 limit). */
export const MAX_MEMORY_PAGES = 65_536;

/**
 * A module importing `env.memory` (shared with maximum {@link MAX_MEMORY_PAGES} when `shared`)
 * and exporting function `k` of `params` i32 parameters and no results.
 *
 * @param params number of i32 parameters of `k`.
 * @param locals local declarations as `[count, type]` pairs (after the parameters).
 * @param body instructions of `k`, without the final `end`.
 */
export function kernelModule(
  params: number,
  locals: ReadonlyArray<readonly [number, number]>,
  body: number[],
  shared: boolean,
): Uint8Array {
  const limits = shared ? [0x03, 1, ...uleb(MAX_MEMORY_PAGES)] : [0x00, 1];
  const func = [
    ...uleb(locals.length),
    ...locals.flatMap(([count, type]) => [...uleb(count), type]),
    ...body,
    OP.end,
  ];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, ...uleb(params), ...Array<number>(params).fill(OP.i32), 0]),
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, ...limits]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('k'), 0x00, 0]),
    ...section(10, [1, ...uleb(func.length), ...func]),
  ]);
}
