/**
 * Conv2DBackpropInput (the input gradient of a conv, and the forward pass of conv2dTranspose)
 * for tfjs-backend-webgpu as a stride-aware tiled implicit GEMM in WGSL.
 *
 *   dx[b, ih, iw, ci] = Σ_{fh, fw, co} dy[b, oh, ow, co] · W[fh, fw, ci, co],
 *   oh = (ih + padTop − fh) / sh,  ow = (iw + padLeft − fw) / sw  (exact and in range only)
 *
 * Only taps with fh ≡ ih + padTop (mod sh) and fw ≡ iw + padLeft (mod sw) contribute, so the
 * pixels of dx split into sh·sw phases (ih mod sh, iw mod sw), each an ordinary GEMM
 * `dx_phase[P, CI] = A[P, R] · B[R, CI]` over its own ⌈FH/sh⌉·⌈FW/sw⌉·CO taps: for a stride-2
 * 4×4 conv each output pixel reduces over 4·CO terms instead of the 16·CO (three quarters of
 * them multiplying the zeros of the stride-dilated dy) that tfjs's stock Conv2DDerInputMMProgram
 * visits. One dispatch per phase; all of them write disjoint pixels of one output tensor. Within
 * a phase, with jh = (ih − rh) / sh and t the tap index (fh = fh0 + t·sh), oh = jh − t + ohBase,
 * so the gather needs no division.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelError } from './errors';
import { chooseGemmTiling, GEMM_THREADS, type GemmTiling } from './gemm-tiling';
import { gemmAcc, gemmAccumulator, gemmDeclarations, gemmStep } from './gemm-wgsl';
import {
  ceilDiv,
  type ProgramUniform,
  requireWebGPUBackend,
  runProgram,
  type WebGPUBackend,
  type WebGPUProgram,
} from './program';

/** The sub-GEMM of one stride phase (rh, rw) of Conv2DBackpropInput. */
export interface BackpropInputPhase {
  /** Row phase: this GEMM computes the rows ih ≡ rh (mod sh). */
  rh: number;
  /** Column phase: the columns iw ≡ rw (mod sw). */
  rw: number;
  /** First filter row of the phase's taps (fh = fh0 + t·sh). */
  fh0: number;
  /** First filter column (fw = fw0 + u·sw). */
  fw0: number;
  /** Filter rows used by the phase (0 when the filter is shorter than the stride). */
  tapsH: number;
  /** Filter columns used by the phase. */
  tapsW: number;
  /** Rows of dx in the phase. */
  rowsH: number;
  /** Columns of dx in the phase. */
  colsW: number;
  /** oh = jh − t + ohBase. */
  ohBase: number;
  /** ow = jw − u + owBase. */
  owBase: number;
}

/** The sh·sw stride phases of Conv2DBackpropInput for `convInfo` (phases without pixels dropped). */
export function backpropInputPhases(convInfo: tf.backend_util.Conv2DInfo): BackpropInputPhase[] {
  const {
    strideHeight: sh,
    strideWidth: sw,
    filterHeight: fh,
    filterWidth: fw,
    inHeight,
    inWidth,
  } = convInfo;
  const { top, left } = convInfo.padInfo;
  const axis = (r: number, s: number, pad: number, f: number, size: number) => {
    const f0 = (r + pad) % s;
    return {
      f0,
      taps: f0 < f ? ceilDiv(f - f0, s) : 0,
      count: r < size ? ceilDiv(size - r, s) : 0,
      base: (r + pad - f0) / s,
    };
  };
  const phases: BackpropInputPhase[] = [];
  for (let rh = 0; rh < sh; rh++) {
    const h = axis(rh, sh, top, fh, inHeight);
    for (let rw = 0; rw < sw; rw++) {
      const w = axis(rw, sw, left, fw, inWidth);
      if (h.count === 0 || w.count === 0) continue;
      phases.push({
        rh,
        rw,
        fh0: h.f0,
        fw0: w.f0,
        tapsH: h.taps,
        tapsW: w.taps,
        rowsH: h.count,
        colsW: w.count,
        ohBase: h.base,
        owBase: w.base,
      });
    }
  }
  return phases;
}

/**
 * One phase's GEMM. Inputs: `dy` [B, OH, OW, CO], `W` [FH, FW, CI, CO]. Output: dx
 * [B, H, W, CI], of which this program writes the pixels of its phase.
 */
export class BackpropInputGemmProgram implements WebGPUProgram {
  variableNames = ['dy', 'W'];
  uniforms =
    'rh : i32, rw : i32, fh0 : i32, fw0 : i32, tapsW : i32, rowsH : i32, colsW : i32, ohBase : i32, owBase : i32, strideH : i32, strideW : i32, gemmM : i32, gemmN : i32, gemmR : i32,';
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y: number[]; z: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  private readonly tiling: GemmTiling;

  /**
   * @param outputShape dx's shape [B, H, W, CI].
   * @param m Pixels of this phase (B · rowsH · colsW). @param n Input channels CI.
   */
  constructor(outputShape: number[], m: number, n: number, tiling: GemmTiling) {
    this.outputShape = outputShape;
    this.tiling = tiling;
    const { wgX, wgY, wm, wn, tk } = tiling;
    this.workgroupSize = [wgX, wgY, 1];
    this.dispatchLayout = { x: [3], y: [0, 1, 2], z: [] };
    this.dispatch = [ceilDiv(n, wgX * wn), ceilDiv(m, wgY * wm), 1];
    this.shaderKey = `vqkitConv2DBackpropInputGemm_${wgX}_${wgY}_${wm}_${wn}_${tk}`;
  }

  getUserCode(): string {
    const slots = (this.tiling.tk * this.tiling.wgY * this.tiling.wm) / GEMM_THREADS;
    return `${gemmDeclarations(this.tiling)}
  const SLOTS_A = ${slots};  // A-tile elements each invocation loads per step

  fn main() {
    let tx = i32(localId.x);
    let ty = i32(localId.y);
    let lidx = i32(localIndex);
    let n0 = i32(workgroupId.x) * TN;
    let m0 = i32(workgroupId.y) * TM;
    let outH = uniforms.dyShape[1];
    let outW = uniforms.dyShape[2];
    let outC = uniforms.dyShape[3];
    let filterW = uniforms.wShape[1];
    let inC = uniforms.wShape[2];

    // Reduction index k = (t·tapsW + u)·CO + co is loaded along k (contiguous co), so the k this
    // invocation loads is fixed per step (TK divides the workgroup size) and each of its SLOTS_A
    // pixels is decoded once, here.
    let kk = lidx % TK;
    var pB : array<i32, SLOTS_A>;
    var pH : array<i32, SLOTS_A>;
    var pW : array<i32, SLOTS_A>;
    var pOk : array<bool, SLOTS_A>;
    for (var s = 0; s < SLOTS_A; s = s + 1) {
      let p = m0 + lidx / TK + s * (THREADS / TK);
      pOk[s] = p < uniforms.gemmM;
      pW[s] = p % uniforms.colsW;
      let q = p / uniforms.colsW;
      pH[s] = q % uniforms.rowsH;
      pB[s] = q / uniforms.rowsH;
    }

    ${gemmAccumulator(this.tiling)}
    let numSteps = (uniforms.gemmR + TK - 1) / TK;
    for (var st = 0; st < numSteps; st = st + 1) {
      let k = st * TK + kk;
      let kOk = k < uniforms.gemmR;
      let co = k % outC;
      let tu = k / outC;
      let u = tu % uniforms.tapsW;
      let t = tu / uniforms.tapsW;
      for (var s = 0; s < SLOTS_A; s = s + 1) {
        let oh = pH[s] - t + uniforms.ohBase;
        let ow = pW[s] - u + uniforms.owBase;
        var v = 0.0;
        if (kOk && pOk[s] && oh >= 0 && oh < outH && ow >= 0 && ow < outW) {
          v = dy[((pB[s] * outH + oh) * outW + ow) * outC + co];
        }
        setA(kk, lidx / TK + s * (THREADS / TK), v);
      }
      let fh = uniforms.fh0 + t * uniforms.strideH;
      let fw = uniforms.fw0 + u * uniforms.strideW;
      for (var i = lidx; i < TK * TN; i = i + THREADS) {
        let nn = i / TK;
        let n = n0 + nn;
        var v = 0.0;
        if (kOk && n < uniforms.gemmN) {
          v = W[((fh * filterW + fw) * inC + n) * outC + co];
        }
        setB(kk, nn, v);
      }
      workgroupBarrier();
      ${gemmStep(this.tiling)}
      workgroupBarrier();
    }

    for (var i = 0; i < WM; i = i + 1) {
      let m = m0 + ty * WM + i;
      if (m < uniforms.gemmM) {
        let jw = m % uniforms.colsW;
        let q = m / uniforms.colsW;
        let jh = q % uniforms.rowsH;
        let b = q / uniforms.rowsH;
        let ih = uniforms.rh + jh * uniforms.strideH;
        let iw = uniforms.rw + jw * uniforms.strideW;
        let base = ((b * uniforms.outShape[1] + ih) * uniforms.outShape[2] + iw) * inC;
        for (var j = 0; j < WN; j = j + 1) {
          let n = n0 + tx * WN + j;
          if (n < uniforms.gemmN) {
            result[base + n] = ${gemmAcc('i', 'j')};
          }
        }
      }
    }
  }
`;
  }
}

/**
 * The phases of `convInfo`, the tiling all their GEMMs share (sized for the largest phase), and
 * the workgroup rows the largest phase dispatches.
 */
export function planPhaseGemm(convInfo: tf.backend_util.Conv2DInfo): {
  phases: BackpropInputPhase[];
  tiling: GemmTiling;
  rowGroups: number;
} {
  const phases = backpropInputPhases(convInfo);
  const b = convInfo.batchSize;
  const mMax = Math.max(1, ...phases.map((p) => b * p.rowsH * p.colsW));
  const rMax = Math.max(1, ...phases.map((p) => p.tapsH * p.tapsW * convInfo.outChannels));
  const tiling = chooseGemmTiling(mMax, Math.max(1, convInfo.inChannels), rMax, 1);
  return { phases, tiling, rowGroups: ceilDiv(mMax, tiling.wgY * tiling.wm) };
}

/**
 * Computes dx for an NHWC convolution described by `convInfo` (no dilation) on the webgpu
 * backend. `dy`: [B, OH, OW, CO], `filter`: [FH, FW, CI, CO]; returns [B, H, W, CI] (float32).
 */
export function webgpuConv2DBackpropInputImpl(
  backend: WebGPUBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  convInfo: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const op = 'Conv2DBackpropInput (vqkit webgpu)';
  if (convInfo.dataFormat !== 'channelsLast') {
    throw new KernelError(
      `${op}: expected dataFormat 'NHWC', got 'NCHW'. Transpose dy to NHWC first.`,
    );
  }
  if (convInfo.dilationHeight !== 1 || convInfo.dilationWidth !== 1) {
    throw new KernelError(
      `${op}: expected dilations [1, 1], got [${convInfo.dilationHeight}, ${convInfo.dilationWidth}]. Use the stock kernel for dilated convolutions.`,
    );
  }
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    throw new KernelError(
      `${op}: expected float32 dy and filter, got ${dy.dtype} and ${filter.dtype}. Cast them with tf.cast first.`,
    );
  }
  const inShape = convInfo.inShape;
  const size = tf.util.sizeFromShape(inShape);
  if (size === 0) {
    return backend.makeTensorInfo(inShape, 'float32', new Float32Array(0));
  }
  const { phases, tiling, rowGroups } = planPhaseGemm(convInfo);
  const limit = backend.device.limits.maxComputeWorkgroupsPerDimension;
  if (rowGroups > limit) {
    throw new KernelError(
      `${op}: expected at most ${limit} workgroups of pixels per stride phase, got ${rowGroups} (dx shape [${inShape}]). Split the batch, or use the stock kernel (makeConv2DBackpropInputKernel routes such shapes there).`,
    );
  }
  const n = convInfo.inChannels;
  const b = convInfo.batchSize;
  const out = backend.makeTensorInfo(inShape, 'float32');
  for (const p of phases) {
    const m = b * p.rowsH * p.colsW;
    const r = p.tapsH * p.tapsW * convInfo.outChannels;
    const program = new BackpropInputGemmProgram(inShape, m, n, tiling);
    const uniforms: ProgramUniform[] = [
      p.rh,
      p.rw,
      p.fh0,
      p.fw0,
      Math.max(1, p.tapsW),
      p.rowsH,
      p.colsW,
      p.ohBase,
      p.owBase,
      convInfo.strideHeight,
      convInfo.strideWidth,
      m,
      n,
      r,
    ].map((v) => ({ type: 'int32', data: [v] }));
    runProgram(backend, program, [dy, filter], 'float32', uniforms, out);
  }
  return out;
}

/** The attributes tfjs passes to the `Conv2DBackpropInput` kernel. */
interface BackpropInputAttrs {
  inputShape: [number, number, number, number];
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Whether the registered `Conv2DBackpropInput` kernel takes the stride-phase GEMM for `convInfo`
 * (otherwise tfjs's stock kernel runs). The phase split removes the (1 − 1/(sh·sw)) share of
 * multiply-adds that the stock kernel spends on the zeros of the stride-dilated dy, so it is used
 * for strided convolutions; with stride 1 both kernels are implicit GEMMs of the same size and the
 * stock one was as fast or faster on lavapipe (bench/webgpu-kernels.ts), as it was for fewer than
 * 8 input channels (a GEMM with N < 8 leaves most of a 4-wide vec4 tile column idle).
 */
export function prefersPhaseGemm(convInfo: tf.backend_util.Conv2DInfo): boolean {
  return convInfo.strideHeight * convInfo.strideWidth > 1 && convInfo.inChannels >= 8;
}

/**
 * Builds the `Conv2DBackpropInput` kernel function: NHWC float32 inputs for which
 * {@link prefersPhaseGemm} holds take the stride-phase GEMM; everything else (NCHW, stride 1,
 * CI < 8) goes to `fallback` (the stock kernel function).
 */
export function makeConv2DBackpropInputKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as BackpropInputAttrs;
    if (a.dataFormat === 'NCHW' || dy.dtype !== 'float32' || filter.dtype !== 'float32') {
      return fallback(args);
    }
    const gpu = requireWebGPUBackend(backend, 'Conv2DBackpropInput');
    const convInfo = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    const fits =
      planPhaseGemm(convInfo).rowGroups <= gpu.device.limits.maxComputeWorkgroupsPerDimension;
    return prefersPhaseGemm(convInfo) && fits
      ? webgpuConv2DBackpropInputImpl(gpu, dy, filter, convInfo)
      : fallback(args);
  };
}
