/**
 * Conv2DBackpropFilter for tfjs-backend-webgpu as a tiled implicit GEMM in WGSL.
 *
 * The filter gradient of a 2-D convolution (NHWC, no dilation) is
 *
 *   dW[fh, fw, ci, co] = Σ_{b, oh, ow} x[b, oh·sh + fh − padTop, ow·sw + fw − padLeft, ci] · dy[b, oh, ow, co]
 *
 * i.e. the GEMM `dW[M, N] = A[M, R] · dy[R, N]` with M = FH·FW·CI (filter rows), N = CO,
 * R = B·OH·OW (the reduction) and A = im2col(x)ᵀ gathered on the fly, never materialised. Each
 * workgroup owns a TM × TN output tile and walks the reduction TK rows at a time through
 * workgroup memory; each invocation accumulates a WM × WN register micro-tile. When the output
 * has too few tiles to fill the device (a 4×4×3×64 filter has one) and the reduction is long,
 * the reduction is split across `splits` workgroups (split-K) that write partial sums
 * `[splits, M·N]`, and a second program adds them in a fixed order (deterministic).
 *
 * The stock tfjs kernel runs one invocation per filter element, each looping serially over all
 * of B·OH·OW with uncoalesced reads; that is what costs 98 of 107 ms of a VQ-VAE training step
 * on an H100.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelError } from './errors';
import { chooseGemmTiling, type GemmTiling } from './gemm-tiling';
import { gemmAcc, gemmAccumulator, gemmDeclarations, gemmStep } from './gemm-wgsl';
import {
  ceilDiv,
  type ProgramUniform,
  requireWebGPUBackend,
  runProgram,
  type WebGPUBackend,
  type WebGPUProgram,
} from './program';

/**
 * The GEMM pass: `result[split, m, n] = Σ_{r ∈ split} A[m, r] · dy[r, n]` (with `splits = 1`
 * the result is the filter gradient itself, shape `[FH, FW, CI, CO]`).
 * Inputs: `x` [B, H, W, CI], `dy` [B, OH, OW, CO]. Output: `[FH, FW, CI, CO]` or `[splits, M, N]`.
 */
export class BackpropFilterGemmProgram implements WebGPUProgram {
  variableNames = ['x', 'dy'];
  uniforms =
    'padTop : i32, padLeft : i32, strideH : i32, strideW : i32, filterWidth : i32, gemmM : i32, gemmN : i32, gemmR : i32, chunk : i32, tilesPerSplit : i32,';
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y: number[]; z: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  private readonly tiling: GemmTiling;

  /**
   * @param outputShape `[FH, FW, CI, CO]` when `tiling.splits = 1`, else `[splits, M, N]`.
   * @param m Filter rows M = FH·FW·CI. @param n Output channels N = CO.
   */
  constructor(outputShape: number[], m: number, n: number, tiling: GemmTiling) {
    this.outputShape = outputShape;
    this.tiling = tiling;
    const { wgX, wgY, wm, wn, tk, splits } = tiling;
    this.workgroupSize = [wgX, wgY, 1];
    this.dispatchLayout = { x: [0], y: [1], z: [2] };
    this.dispatch = [ceilDiv(n, wgX * wn), ceilDiv(m, wgY * wm), splits];
    this.shaderKey = `vqkitConv2DBackpropFilterGemm_${wgX}_${wgY}_${wm}_${wn}_${tk}`;
  }

  getUserCode(): string {
    return `${gemmDeclarations(this.tiling)}

  // A[m, r] = x[b, oh·sh + fh − padTop, ow·sw + fw − padLeft, ci] for m = (fh·FW + fw)·CI + ci,
  // r = (b·OH + oh)·OW + ow; 0 outside the image. (fh, fw, ci) is decoded once per invocation:
  // TM divides the workgroup size, so an invocation always loads the same tile row.
  fn loadA(fh : i32, fw : i32, ci : i32, r : i32) -> f32 {
    let outW = uniforms.dyShape[2];
    let outH = uniforms.dyShape[1];
    let ow = r % outW;
    let q = r / outW;
    let oh = q % outH;
    let b = q / outH;
    let ih = oh * uniforms.strideH + fh - uniforms.padTop;
    let iw = ow * uniforms.strideW + fw - uniforms.padLeft;
    if (ih < 0 || ih >= uniforms.xShape[1] || iw < 0 || iw >= uniforms.xShape[2]) {
      return 0.0;
    }
    return x[((b * uniforms.xShape[1] + ih) * uniforms.xShape[2] + iw) * uniforms.xShape[3] + ci];
  }

  fn main() {
    let tx = i32(localId.x);
    let ty = i32(localId.y);
    let lidx = i32(localIndex);
    let n0 = i32(workgroupId.x) * TN;
    let m0 = i32(workgroupId.y) * TM;
    let split = i32(workgroupId.z);
    let rBase = split * uniforms.chunk;
    let rEnd = min(rBase + uniforms.chunk, uniforms.gemmR);

    let aRow = lidx % TM;
    let aM = m0 + aRow;
    let aOk = aM < uniforms.gemmM;
    let ci = aM % uniforms.xShape[3];
    let f = aM / uniforms.xShape[3];
    let fw = f % uniforms.filterWidth;
    let fh = f / uniforms.filterWidth;

    ${gemmAccumulator(this.tiling)}
    // The trip count comes from a uniform so every invocation reaches every barrier.
    for (var t = 0; t < uniforms.tilesPerSplit; t = t + 1) {
      let r0 = rBase + t * TK;
      for (var k = lidx / TM; k < TK; k = k + THREADS / TM) {
        let r = r0 + k;
        var v = 0.0;
        if (aOk && r < rEnd) {
          v = loadA(fh, fw, ci, r);
        }
        setA(k, aRow, v);
      }
      for (var i = lidx; i < TK * TN; i = i + THREADS) {
        let k = i / TN;
        let r = r0 + k;
        let n = n0 + i % TN;
        var v = 0.0;
        if (r < rEnd && n < uniforms.gemmN) {
          v = dy[r * uniforms.gemmN + n];
        }
        setB(k, i % TN, v);
      }
      workgroupBarrier();
      ${gemmStep(this.tiling)}
      workgroupBarrier();
    }

    let base = split * uniforms.gemmM * uniforms.gemmN;
    for (var i = 0; i < WM; i = i + 1) {
      let m = m0 + ty * WM + i;
      for (var j = 0; j < WN; j = j + 1) {
        let n = n0 + tx * WN + j;
        if (m < uniforms.gemmM && n < uniforms.gemmN) {
          result[base + m * uniforms.gemmN + n] = ${gemmAcc('i', 'j')};
        }
      }
    }
  }
`;
  }
}

/**
 * The split-K second pass: `dW[i] = Σ_{s < splits} partials[s, i]`, summed in increasing `s`.
 * Input: `partials` [splits, M, N]. Output: `[FH, FW, CI, CO]` (M·N elements).
 */
export class SplitKReduceProgram implements WebGPUProgram {
  variableNames = ['partials'];
  uniforms = 'splits : i32,';
  outputShape: number[];
  shaderKey = 'vqkitSplitKReduce';
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;

  /** @param outputShape The shape of the summed result (any rank; `size` elements). */
  constructor(outputShape: number[]) {
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [ceilDiv(tf.util.sizeFromShape(outputShape), 64), 1, 1];
  }

  getUserCode(): string {
    return `
  fn main(index : i32) {
    if (index < uniforms.size) {
      var s = 0.0;
      for (var p = 0; p < uniforms.splits; p = p + 1) {
        s = s + partials[p * uniforms.size + index];
      }
      setOutputAtIndex(index, s);
    }
  }
`;
  }
}

/** Options of {@link webgpuConv2DBackpropFilterImpl} beyond the kernel's attributes. */
export interface BackpropFilterImplOptions {
  /**
   * Split-K factor; forces the number of reduction partitions (clamped to the reduction length).
   * @default chosen by {@link chooseGemmTiling}
   */
  splits?: number;
}

/**
 * Computes dW for an NHWC convolution described by `convInfo` (no dilation) on the webgpu
 * backend. `x`: [B, H, W, CI], `dy`: [B, OH, OW, CO]; returns [FH, FW, CI, CO] (float32).
 */
export function webgpuConv2DBackpropFilterImpl(
  backend: WebGPUBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  convInfo: tf.backend_util.Conv2DInfo,
  options: BackpropFilterImplOptions = {},
): tf.TensorInfo {
  const op = 'Conv2DBackpropFilter (vqkit webgpu)';
  if (convInfo.dataFormat !== 'channelsLast') {
    throw new KernelError(
      `${op}: expected dataFormat 'NHWC', got 'NCHW'. Transpose x and dy to NHWC first.`,
    );
  }
  if (convInfo.dilationHeight !== 1 || convInfo.dilationWidth !== 1) {
    throw new KernelError(
      `${op}: expected dilations [1, 1], got [${convInfo.dilationHeight}, ${convInfo.dilationWidth}]. Use the stock kernel for dilated convolutions.`,
    );
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new KernelError(
      `${op}: expected float32 x and dy, got ${x.dtype} and ${dy.dtype}. Cast them with tf.cast first.`,
    );
  }
  const { filterHeight: fh, filterWidth: fw, inChannels: ci, outChannels: co } = convInfo;
  const m = fh * fw * ci;
  const n = co;
  const r = convInfo.batchSize * convInfo.outHeight * convInfo.outWidth;
  if (m === 0 || n === 0) {
    return backend.makeTensorInfo(convInfo.filterShape, 'float32');
  }
  if (r === 0) {
    // An empty reduction: the gradient is exactly zero.
    const zeros = new Float32Array(m * n);
    return backend.makeTensorInfo(convInfo.filterShape, 'float32', zeros);
  }
  const tiling = chooseGemmTiling(m, n, r, options.splits);
  const outShape = tiling.splits === 1 ? convInfo.filterShape : [tiling.splits, m, n];
  const gemm = new BackpropFilterGemmProgram(outShape, m, n, tiling);
  const uniforms: ProgramUniform[] = [
    { type: 'int32', data: [convInfo.padInfo.top] },
    { type: 'int32', data: [convInfo.padInfo.left] },
    { type: 'int32', data: [convInfo.strideHeight] },
    { type: 'int32', data: [convInfo.strideWidth] },
    { type: 'int32', data: [fw] },
    { type: 'int32', data: [m] },
    { type: 'int32', data: [n] },
    { type: 'int32', data: [r] },
    { type: 'int32', data: [tiling.chunk] },
    { type: 'int32', data: [tiling.chunk / tiling.tk] },
  ];
  const partial = runProgram(backend, gemm, [x, dy], 'float32', uniforms);
  if (tiling.splits === 1) {
    return partial;
  }
  const reduce = new SplitKReduceProgram(convInfo.filterShape);
  const out = runProgram(backend, reduce, [partial], 'float32', [
    { type: 'int32', data: [tiling.splits] },
  ]);
  backend.disposeData(partial.dataId);
  return out;
}

/** The attributes tfjs passes to the `Conv2DBackpropFilter` kernel. */
interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * Builds the `Conv2DBackpropFilter` kernel function: NHWC float32 inputs take the tiled GEMM,
 * anything else (NCHW) goes to `fallback` (the stock kernel function).
 */
export function makeConv2DBackpropFilterKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as BackpropFilterAttrs;
    if (a.dataFormat === 'NCHW' || x.dtype !== 'float32' || dy.dtype !== 'float32') {
      return fallback(args);
    }
    const gpu = requireWebGPUBackend(backend, 'Conv2DBackpropFilter');
    const convInfo = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      a.filterShape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    return webgpuConv2DBackpropFilterImpl(gpu, x, dy, convInfo);
  };
}
