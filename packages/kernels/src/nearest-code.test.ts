import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { chunkedNearestCode, type NearestCodeSearch } from '@vqkit/quantizer';
import { afterAll, describe, expect, it } from 'vitest';
import { configureCpuExecutor } from './cpu/active-executor';
import { enableRelaxedSimd } from './cpu/relaxed-simd-flag';
import { simdSupport } from './cpu/simd-support';
import { KernelError } from './errors';
import { NEAREST_CODE_KERNEL } from './kernel-names';
import { fusedNearestCode } from './nearest-code';
import { contractViolations, nearestCodeCases, type SearchRunner } from './nearest-code-contract';

// Relaxed SIMD: on from Node 22; Node 20 has it behind a V8 flag (set before any module using it compiles).
enableRelaxedSimd();

afterAll(() => {
  configureCpuExecutor({ threads: 1 });
});

/** Runs `search` on the cpu backend (reading the result back synchronously). */
function runner(search: NearestCodeSearch): SearchRunner {
  return async (z, e, { n, k, d }, chunkSize) =>
    tf.tidy(() => search(tf.tensor2d(z, [n, d]), tf.tensor2d(e, [k, d]), { chunkSize }).dataSync());
}

const cases = nearestCodeCases();

describe('the NearestCodeSearch contract on cpu (the cases nearest-code.webgpu.test.ts runs too)', () => {
  it('relaxed SIMD is available here, so both micro-kernel variants are tested', () => {
    expect(simdSupport()).toEqual({ simd: true, relaxed: true });
  });

  const configs = [1, 2, 3].flatMap((threads) =>
    [false, true].map((relaxedSimd) => ({ threads, relaxedSimd })),
  );
  it.each(configs)('fusedNearestCode, threads $threads, relaxedSimd $relaxedSimd', async (c) => {
    expect(configureCpuExecutor({ ...c, minParallelFlops: 0 })).toEqual({
      threads: c.threads,
      simd: c.relaxedSimd ? 'relaxed' : 'plain',
    });
    for (const nc of cases)
      expect(await contractViolations(runner(fusedNearestCode), nc)).toEqual([]);
  });

  it('chunkedNearestCode (the quantizer default)', async () => {
    for (const nc of cases)
      expect(await contractViolations(runner(chunkedNearestCode), nc)).toEqual([]);
  });

  it('the fused search is bit-identical for 1, 2 and 3 threads (each SIMD variant)', async () => {
    for (const relaxedSimd of [false, true]) {
      const results = [];
      for (const threads of [1, 2, 3]) {
        configureCpuExecutor({ threads, relaxedSimd, minParallelFlops: 0 });
        const run = runner(fusedNearestCode);
        const out = [];
        for (const nc of cases) {
          const d = nc.e[0]!.length;
          const shape = { n: nc.z.length, k: nc.e.length, d };
          out.push(
            Array.from(
              await run(Float32Array.from(nc.z.flat()), Float32Array.from(nc.e.flat()), shape, 8),
            ),
          );
        }
        results.push(out);
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[2]).toEqual(results[0]);
    }
  });
});

describe('fusedNearestCode on cpu', () => {
  it('runs as the registered VqkitNearestCode kernel, inside tidy, without leaking', () => {
    const z = tf.randomUniform([37, 8], -1, 1, 'float32', 1) as tf.Tensor2D;
    const e = tf.randomUniform([100, 8], -1, 1, 'float32', 2) as tf.Tensor2D;
    fusedNearestCode(z, e, { chunkSize: 16 }).dispose();
    expect(tf.getKernel(NEAREST_CODE_KERNEL, 'cpu')).toBeDefined();
    const before = tf.memory().numTensors;
    const idx = tf.tidy(() => fusedNearestCode(z, e, { chunkSize: 16 }));
    expect(idx.dtype).toBe('int32');
    expect(idx.shape).toEqual([37]);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([idx, z, e]);
  });

  it('is detached from the tape: gather(codebook, idx) trains z through a straight-through path', () => {
    const z = tf.variable(tf.randomUniform([6, 4], -1, 1, 'float32', 3));
    const e = tf.randomUniform([10, 4], -1, 1, 'float32', 4) as tf.Tensor2D;
    const { grads } = tf.variableGrads(() => {
      const idx = fusedNearestCode(z as tf.Tensor2D, e, { chunkSize: 4 });
      const q = tf.gather(e, idx);
      return tf.sum(tf.square(tf.sub(z, q))) as tf.Scalar;
    }, [z]);
    const want = tf.tidy(() =>
      tf.mul(2, tf.sub(z, tf.gather(e, fusedNearestCode(z as tf.Tensor2D, e, { chunkSize: 4 })))),
    );
    expect(Array.from(grads[z.name]!.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([z, e, want, ...Object.values(grads)]);
  });

  it('rejects bad shapes, dtypes, chunk sizes and an empty codebook with KernelError', () => {
    const z = tf.zeros([3, 4]) as tf.Tensor2D;
    const e = tf.zeros([5, 4]) as tf.Tensor2D;
    expect(() => fusedNearestCode(z, tf.zeros([5, 3]) as tf.Tensor2D, { chunkSize: 2 })).toThrow(
      /same D, got z \[3,4\] and codebook \[5,3\]/,
    );
    expect(() => fusedNearestCode(z, e, { chunkSize: 0 })).toThrow(KernelError);
    expect(() => fusedNearestCode(z, e, { chunkSize: 1.5 })).toThrow(/positive integer, got 1.5/);
    expect(() =>
      fusedNearestCode(tf.zeros([3, 4], 'int32') as tf.Tensor2D, e, { chunkSize: 2 }),
    ).toThrow(/float32/);
    expect(() => fusedNearestCode(z, tf.zeros([0, 4]) as tf.Tensor2D, { chunkSize: 2 })).toThrow(
      /empty/,
    );
  });

  it('on a backend without a fused kernel: KernelError pointing to the quantizer default', async () => {
    tf.registerBackend('vqkit-plain', () => new MathBackendCPU(), 0);
    await tf.setBackend('vqkit-plain');
    // Private flag of MathBackendCPU that prints the "install tfjs-node" banner.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
    try {
      const z = tf.zeros([3, 4]) as tf.Tensor2D;
      expect(() => fusedNearestCode(z, z, { chunkSize: 2 })).toThrow(
        /no fused nearest-code kernel for the 'vqkit-plain' backend .* nearestCodeSearch: undefined/,
      );
    } finally {
      await tf.setBackend('cpu');
      tf.removeBackend('vqkit-plain');
    }
  });
});
