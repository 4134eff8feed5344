/**
 * Fused nearest-code search for tfjs-backend-webgpu: squared distance + argmin in one WGSL
 * kernel that never materialises the `[N, K]` distance matrix.
 *
 * For each row z_n of z [N, D] it returns  k*(n) = argmin_k ‖z_n − e_k‖²  over the codebook
 * e [K, D] (the code assignment of the paper's Eq. 2, k(i, j) = argmin_k ‖z_e,ij − c_k‖², z_q,ij = c_k(i, j)). The kernel
 * computes the full squared distance Σ_d (z_nd − e_kd)², not the expanded ‖e‖² − 2 z·e: it
 * costs the same here (the codebook tile is already in workgroup memory), needs no ‖e‖²
 * pre-pass, and has no cancellation when ‖z‖ is large relative to the distances.
 *
 * One invocation owns one row of z (held in registers when D ≤ 64, as vec4s when 4 divides D;
 * above 64 the distance is summed in 32-dimension chunks) and keeps its running best
 * distance and index. The workgroup streams the codebook through workgroup memory a tile of
 * codes at a time; codes are visited in increasing index and the best is replaced only on a
 * strictly smaller distance, so ties go to the lowest index, deterministically (each distance is
 * summed in the same fixed order for every code). A row whose distances are all NaN or +∞ gets
 * index 0. Rows are processed `chunkSize` at a time, one dispatch per chunk, all writing into
 * one int32 [N] output, so no buffer larger than z, the codebook or the output is ever bound.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NEAREST_CODE_KERNEL } from '../kernel-names';
import { KernelError } from './errors';
import {
  ceilDiv,
  requireWebGPUBackend,
  runProgram,
  type WebGPUBackend,
  type WebGPUProgram,
} from './program';

/** Invocations (rows of z) per workgroup. */
const ROWS_PER_WORKGROUP = 64;
/** Largest code dimension kept whole in registers; above it the distance is summed in chunks. */
const MAX_REGISTER_DIM = 64;
/** Dimensions per chunk when D > MAX_REGISTER_DIM. */
const DIM_CHUNK = 32;
/** Codebook tile size in f32 elements (8 KiB of workgroup memory). */
const TILE_FLOATS = 2048;

/** Default rows of z per dispatch of {@link webgpuNearestCode}. */
export const DEFAULT_NEAREST_CODE_CHUNK = 65_536;

/** Options of {@link webgpuNearestCode}. */
export interface WebGPUNearestCodeOptions {
  /**
   * Rows of z searched per GPU dispatch (a bound on the work of one dispatch, which keeps each
   * under GPU watchdog limits; it does not change the result). Clamped to what one dispatch
   * can address (65 535 workgroups × 64 rows).
   * @default 65536
   */
  chunkSize?: number;
}

/**
 * The WGSL program: `result[n] = argmin_k Σ_d (z[n, d] − codebook[k, d])²` for rows
 * `rowOffset ≤ n < rowEnd`. Inputs: `z` [N, D], `codebook` [K, D]. Output: int32 [N].
 */
export class NearestCodeProgram implements WebGPUProgram {
  variableNames = ['z', 'codebook'];
  uniforms = 'rowOffset : i32, rowEnd : i32, numCodes : i32,';
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [ROWS_PER_WORKGROUP, 1, 1];
  /** Code dimension D (baked into the shader). */
  readonly dim: number;
  /** Codes per workgroup-memory tile. */
  readonly codesPerTile: number;
  /** Whether z rows live whole in registers (D ≤ 64) or are summed in 32-dim chunks. */
  readonly chunked: boolean;
  /** Whether z and the codebook are bound and read as `vec4<f32>` (D divisible by 4). */
  readonly vec4: boolean;
  variableComponents?: number[];

  /**
   * @param rows Total rows N of z (the output length).
   * @param dim Code dimension D.
   * @param rowsThisDispatch Rows this dispatch covers (sets the workgroup count).
   */
  constructor(rows: number, dim: number, rowsThisDispatch: number) {
    this.outputShape = [rows];
    this.dim = dim;
    this.chunked = dim > MAX_REGISTER_DIM;
    const tileDim = this.chunked ? DIM_CHUNK : dim;
    let codes = 16;
    while (codes * 2 * tileDim <= TILE_FLOATS && codes < 128) codes *= 2;
    this.codesPerTile = codes;
    this.vec4 = dim % 4 === 0;
    if (this.vec4) this.variableComponents = [4, 4];
    this.dispatch = [ceilDiv(rowsThisDispatch, ROWS_PER_WORKGROUP), 1, 1];
    this.shaderKey = `vqkitNearestCode_${dim}_${codes}_${this.chunked}_${this.vec4}`;
  }

  /**
   * Rows are handled in units of `T` (f32, or vec4<f32> when 4 | D): a row is `U` units. With
   * D ≤ 64 the row stays in registers and each code's distance is compared as soon as it is
   * summed; above, the distance is summed over chunks of `UC` units into a per-code accumulator.
   */
  getUserCode(): string {
    const lanes = this.vec4 ? 4 : 1;
    const T = this.vec4 ? 'vec4<f32>' : 'f32';
    const U = this.dim / lanes;
    const TKC = this.codesPerTile;
    const square = this.vec4 ? 's = s + dot(t, t);' : 's = fma(t, t, s);';
    if (!this.chunked) {
      return `
  const U = ${U};      // units of ${T} per row of z and of the codebook
  const TKC = ${TKC};  // codes per workgroup-memory tile
  const WG = ${ROWS_PER_WORKGROUP};
  var<workgroup> tileE : array<${T}, ${TKC * U}>;  // [TKC][U]: codes k0 .. k0 + TKC − 1

  fn main(index : i32) {
    let row = uniforms.rowOffset + index;
    let rowOk = row < uniforms.rowEnd;
    let lidx = i32(localIndex);
    let codebookLen = uniforms.numCodes * U;
    var zr : array<${T}, U>;
    for (var j = 0; j < U; j = j + 1) {
      var v = ${T}(0.0);
      if (rowOk) {
        v = z[row * U + j];
      }
      zr[j] = v;
    }
    var best = uniforms.INFINITY;
    var bestIdx = 0;
    for (var k0 = 0; k0 < uniforms.numCodes; k0 = k0 + TKC) {
      workgroupBarrier();
      // The tile is one contiguous block of the codebook.
      for (var i = lidx; i < TKC * U; i = i + WG) {
        let g = k0 * U + i;
        var v = ${T}(0.0);
        if (g < codebookLen) {
          v = codebook[g];
        }
        tileE[i] = v;
      }
      workgroupBarrier();
      let count = min(TKC, uniforms.numCodes - k0);
      for (var c = 0; c < count; c = c + 1) {
        var s = 0.0;
        for (var j = 0; j < U; j = j + 1) {
          let t = zr[j] - tileE[c * U + j];
          ${square}
        }
        if (s < best) {
          best = s;
          bestIdx = k0 + c;
        }
      }
    }
    if (rowOk) {
      result[row] = bestIdx;
    }
  }
`;
    }
    const UC = DIM_CHUNK / lanes;
    return `
  const U = ${U};      // units of ${T} per row of z and of the codebook
  const UC = ${UC};    // units per distance chunk
  const TKC = ${TKC};  // codes per workgroup-memory tile
  const WG = ${ROWS_PER_WORKGROUP};
  var<workgroup> tileE : array<${T}, ${TKC * UC}>;  // [TKC][UC]: units u0 .. u0 + UC − 1 of codes k0 ..

  fn main(index : i32) {
    let row = uniforms.rowOffset + index;
    let rowOk = row < uniforms.rowEnd;
    let lidx = i32(localIndex);
    var best = uniforms.INFINITY;
    var bestIdx = 0;
    for (var k0 = 0; k0 < uniforms.numCodes; k0 = k0 + TKC) {
      // Zeroed explicitly: lavapipe was seen not to re-zero a loop-local var on each iteration.
      var acc : array<f32, TKC>;
      for (var c = 0; c < TKC; c = c + 1) {
        acc[c] = 0.0;
      }
      for (var u0 = 0; u0 < U; u0 = u0 + UC) {
        workgroupBarrier();
        for (var i = lidx; i < TKC * UC; i = i + WG) {
          let k = k0 + i / UC;
          let u = u0 + i % UC;
          var v = ${T}(0.0);
          if (k < uniforms.numCodes && u < U) {
            v = codebook[k * U + u];
          }
          tileE[i] = v;
        }
        workgroupBarrier();
        var zc : array<${T}, UC>;
        for (var j = 0; j < UC; j = j + 1) {
          var v = ${T}(0.0);
          if (rowOk && u0 + j < U) {
            v = z[row * U + u0 + j];
          }
          zc[j] = v;
        }
        for (var c = 0; c < TKC; c = c + 1) {
          var s = 0.0;
          for (var j = 0; j < UC; j = j + 1) {
            let t = zc[j] - tileE[c * UC + j];
            ${square}
          }
          acc[c] = acc[c] + s;
        }
      }
      let count = min(TKC, uniforms.numCodes - k0);
      for (var c = 0; c < count; c = c + 1) {
        if (acc[c] < best) {
          best = acc[c];
          bestIdx = k0 + c;
        }
      }
    }
    if (rowOk) {
      result[row] = bestIdx;
    }
  }
`;
  }
}

function checkChunkSize(chunkSize: unknown, op: string): number {
  if (typeof chunkSize !== 'number' || !Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new KernelError(
      `${op}: options.chunkSize must be a positive integer (rows of z per dispatch), got ${String(chunkSize)}. Pass e.g. { chunkSize: 65536 }.`,
    );
  }
  return chunkSize;
}

/**
 * Runs the search on `backend`: `z` [N, D] and `codebook` [K, D] float32 → int32 [N].
 * Dispatches ⌈N / chunkSize⌉ programs that fill one output tensor.
 */
export function nearestCodeImpl(
  backend: WebGPUBackend,
  z: tf.TensorInfo,
  codebook: tf.TensorInfo,
  chunkSize: number,
): tf.TensorInfo {
  const op = 'webgpuNearestCode';
  const [n, d] = z.shape as [number, number];
  const k = codebook.shape[0] as number;
  if (n === 0) {
    return backend.makeTensorInfo([0], 'int32', new Int32Array(0));
  }
  const out = backend.makeTensorInfo([n], 'int32');
  const maxRows = backend.device.limits.maxComputeWorkgroupsPerDimension * ROWS_PER_WORKGROUP;
  const rowsPerDispatch = Math.min(checkChunkSize(chunkSize, op), maxRows, n);
  for (let start = 0; start < n; start += rowsPerDispatch) {
    const end = Math.min(n, start + rowsPerDispatch);
    const program = new NearestCodeProgram(n, d, end - start);
    runProgram(
      backend,
      program,
      [z, codebook],
      'int32',
      [
        { type: 'int32', data: [start] },
        { type: 'int32', data: [end] },
        { type: 'int32', data: [k] },
      ],
      out,
    );
  }
  return out;
}

/** The `VqkitNearestCode` kernel function (inputs `z`, `codebook`; attr `chunkSize`). */
export const nearestCodeKernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { z, codebook } = inputs as { z: tf.TensorInfo; codebook: tf.TensorInfo };
  const { chunkSize } = attrs as unknown as { chunkSize: number };
  return nearestCodeImpl(
    requireWebGPUBackend(backend, 'webgpuNearestCode'),
    z,
    codebook,
    chunkSize,
  );
};

/** The kernel config registered for `'webgpu'` under {@link NEAREST_CODE_KERNEL}. */
export const nearestCodeKernelConfig: tf.KernelConfig = {
  kernelName: NEAREST_CODE_KERNEL,
  backendName: 'webgpu',
  kernelFunc: nearestCodeKernelFunc,
};

/**
 * Nearest codebook entry of every row of z on the webgpu backend (Eq. 2 of the paper:
 * k*(n) = argmin_k ‖z_n − e_k‖²), fused so that no `[N, K]` distance matrix exists. Distances
 * are full squared distances Σ_d (z_nd − e_kd)²; ties go to the lowest index. Runs inside
 * tfjs's engine (`tf.tidy`, `tf.memory()`, async `data()`); the result is an integer tensor and
 * must not enter a gradient tape.
 *
 * @param z Encoder outputs, float32 [N, D].
 * @param codebook Codebook, float32 [K, D], K ≥ 1.
 * @param options See {@link WebGPUNearestCodeOptions}.
 * @returns int32 [N]: the index of the nearest code of each row.
 * @throws KernelError when the active backend is not 'webgpu', on rank, dtype or D mismatch, on
 *   an empty codebook, or on a bad chunkSize.
 */
export function webgpuNearestCode(
  z: tf.Tensor2D,
  codebook: tf.Tensor2D,
  options: WebGPUNearestCodeOptions = {},
): tf.Tensor1D {
  const op = 'webgpuNearestCode';
  const chunkSize = checkChunkSize(options.chunkSize ?? DEFAULT_NEAREST_CODE_CHUNK, op);
  if (z.rank !== 2 || codebook.rank !== 2) {
    throw new KernelError(
      `${op}: z and codebook must be rank 2 ([N, D] and [K, D]), got shapes [${z.shape}] and [${codebook.shape}]. Reshape z to [-1, codeDim] first.`,
    );
  }
  if (z.shape[1] !== codebook.shape[1]) {
    throw new KernelError(
      `${op}: z must have last dimension codeDim = ${codebook.shape[1]} (the codebook's), got shape [${z.shape}]. Project z to ${codebook.shape[1]} channels first.`,
    );
  }
  if (codebook.shape[0] < 1) {
    throw new KernelError(
      `${op}: codebook must have codebookSize K ≥ 1 rows, got shape [${codebook.shape}].`,
    );
  }
  if (z.dtype !== 'float32' || codebook.dtype !== 'float32') {
    throw new KernelError(
      `${op}: z and codebook must be float32, got ${z.dtype} and ${codebook.dtype}. Cast them with tf.cast first.`,
    );
  }
  if (tf.getBackend() !== 'webgpu') {
    throw new KernelError(
      `${op}: expected the active tfjs backend 'webgpu', got '${tf.getBackend()}'. Call await tf.setBackend('webgpu') (see @vqkit/runtime) or use the cpu nearest-code search.`,
    );
  }
  if (tf.getKernel(NEAREST_CODE_KERNEL, 'webgpu') === undefined) {
    tf.registerKernel(nearestCodeKernelConfig);
  }
  return tf.engine().runKernel(NEAREST_CODE_KERNEL, { z, codebook }, { chunkSize }) as tf.Tensor1D;
}
