import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { registerVqkitKernels, unregisterVqkitKernels } from '../register';
import { configureCpuExecutor, cpuExecutor } from './active-executor';
import type { ConvGeometry } from './conv-geometry';
import { createCallingThreadExecutor } from './executor';
import { controlSlots, type Job, jobKinds, readError, recordError, workOnJob } from './jobs';
import { createThreadContext, type WasmApi, wasmApi } from './thread-context';
import { createWorkerPoolExecutor, type WorkerPoolExecutor } from './worker-pool';

afterAll(() => {
  unregisterVqkitKernels();
});

/** Seeded values in [−½, ½). */
function values(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

/** Odd shapes: padding on every side, strides 1 and 2, 1×1 to 4×4 filters, channel counts that are not multiples of 4 or 8. */
const GEOMETRIES: ConvGeometry[] = [
  {
    batch: 2,
    inH: 13,
    inW: 11,
    inC: 5,
    outH: 7,
    outW: 6,
    outC: 9,
    fh: 3,
    fw: 3,
    sh: 2,
    sw: 2,
    padTop: 1,
    padLeft: 1,
  },
  {
    batch: 3,
    inH: 9,
    inW: 7,
    inC: 3,
    outH: 9,
    outW: 7,
    outC: 17,
    fh: 3,
    fw: 3,
    sh: 1,
    sw: 1,
    padTop: 1,
    padLeft: 1,
  },
  {
    batch: 1,
    inH: 17,
    inW: 10,
    inC: 7,
    outH: 8,
    outW: 5,
    outC: 11,
    fh: 4,
    fw: 4,
    sh: 2,
    sw: 2,
    padTop: 1,
    padLeft: 1,
  },
  {
    batch: 2,
    inH: 5,
    inW: 6,
    inC: 33,
    outH: 5,
    outW: 6,
    outC: 3,
    fh: 1,
    fw: 1,
    sh: 1,
    sw: 1,
    padTop: 0,
    padLeft: 0,
  },
  {
    batch: 1,
    inH: 30,
    inW: 3,
    inC: 2,
    outH: 15,
    outW: 2,
    outC: 70,
    fh: 4,
    fw: 3,
    sh: 2,
    sw: 2,
    padTop: 2,
    padLeft: 1,
  },
];

/** `a` copied into a SharedArrayBuffer (as the pool's own outputs are). */
function shared(a: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(4 * a.length));
  out.set(a);
  return out;
}

async function readyPool(threads: number): Promise<WorkerPoolExecutor> {
  const pool = createWorkerPoolExecutor({ threads, simd: 'plain', minParallelFlops: 0 });
  const g = GEOMETRIES[0]!;
  pool.convForward(values(2 * 13 * 11 * 5, 1), values(3 * 3 * 5 * 9, 2), g);
  while (pool.stats().readyWorkers < threads - 1) await new Promise((r) => setTimeout(r, 5));
  return pool;
}

describe('worker pool: bit-identical to the calling thread for 2 and 3 threads', () => {
  const one = createCallingThreadExecutor('plain');
  for (const threads of [2, 3]) {
    it(`${threads} threads: conv forward, filter and input gradients, nearest code; workers ran units`, async () => {
      const pool = await readyPool(threads);
      const before = pool.stats().workerUnits;
      for (const [i, g] of GEOMETRIES.entries()) {
        const x = values(g.batch * g.inH * g.inW * g.inC, 10 + i);
        const w = values(g.fh * g.fw * g.inC * g.outC, 20 + i);
        const dy = values(g.batch * g.outH * g.outW * g.outC, 30 + i);
        expect(pool.convForward(x, w, g), `forward ${i}`).toEqual(one.convForward(x, w, g));
        expect(pool.convFilter(x, dy, g), `filter ${i}`).toEqual(one.convFilter(x, dy, g));
        expect(pool.convInput(dy, w, g), `input ${i}`).toEqual(one.convInput(dy, w, g));
      }
      const n = 3 * 5 * 7 * 11;
      const big = shared(values(n, 40));
      const smalls = [shared(values(n, 41)), values(1, 42), values(77, 43), shared(values(35, 44))];
      for (const small of smalls) {
        for (const op of [0, 1, 2, 3, 4]) {
          const what = `binary ${op} with [${small.length}]`;
          expect(pool.binary(op, big, small, n), what).toEqual(one.binary(op, big, small, n));
          expect(pool.binary(op, small, big, n), what).toEqual(one.binary(op, small, big, n));
        }
      }
      for (const [op, alpha] of [
        [0, 0],
        [1, 0.3],
        [2, 0],
        [3, 0],
      ] as const) {
        expect(pool.unary(op, big, alpha), `unary ${op}`).toEqual(one.unary(op, big, alpha));
      }
      for (const [n, k, d] of [
        [1001, 777, 8],
        [3, 5, 1],
        [257, 130, 17],
      ] as const) {
        const z = values(n * d, n);
        const e = values(k * d, k);
        expect(pool.nearest(z, e, n, k, d), `nearest ${n}×${k}×${d}`).toEqual(
          one.nearest(z, e, n, k, d),
        );
      }
      expect(pool.stats().workerUnits).toBeGreaterThan(before);
      // Outputs live in SharedArrayBuffers, so the next kernel hands them to the workers without a copy.
      expect(pool.unary(0, big, 0).buffer).toBeInstanceOf(SharedArrayBuffer);
      pool.release();
      expect(pool.stats().readyWorkers).toBe(0);
    });
  }

  it('restarts its workers after release, and the results stay the same', async () => {
    const pool = await readyPool(2);
    const g = GEOMETRIES[1]!;
    const x = values(g.batch * g.inH * g.inW * g.inC, 3);
    const w = values(g.fh * g.fw * g.inC * g.outC, 4);
    const first = pool.convForward(x, w, g);
    pool.release();
    expect(pool.convForward(x, w, g)).toEqual(first);
    while (pool.stats().readyWorkers < 1) await new Promise((r) => setTimeout(r, 5));
    expect(pool.convForward(x, w, g)).toEqual(first);
    pool.release();
  });
});

/**
 * Geometries whose operand copies are several units each (`operand-fill.ts`): a 4×4 stride-2
 * convolution (direct path) and a 3×3 stride-1 one with enough channels for the Winograd path.
 */
const LARGE: ConvGeometry[] = [
  {
    batch: 2,
    inH: 67,
    inW: 65,
    inC: 17,
    outH: 34,
    outW: 33,
    outC: 37,
    fh: 4,
    fw: 4,
    sh: 2,
    sw: 2,
    padTop: 1,
    padLeft: 1,
  },
  {
    batch: 2,
    inH: 37,
    inW: 41,
    inC: 33,
    outH: 37,
    outW: 41,
    outC: 17,
    fh: 3,
    fw: 3,
    sh: 1,
    sw: 1,
    padTop: 1,
    padLeft: 1,
  },
];

describe('worker pool: operand copies and reductions on the workers, bit-identical for 2 and 3 threads', () => {
  const one = createCallingThreadExecutor('plain');
  for (const threads of [2, 3]) {
    it(`${threads} threads: convolutions of shared operands (copied by every thread) equal the calling thread's`, async () => {
      const pool = await readyPool(threads);
      for (const [i, g] of [...GEOMETRIES, ...LARGE].entries()) {
        const x = values(g.batch * g.inH * g.inW * g.inC, 50 + i);
        const w = values(g.fh * g.fw * g.inC * g.outC, 60 + i);
        const dy = values(g.batch * g.outH * g.outW * g.outC, 70 + i);
        const [sx, sw, sdy] = [shared(x), shared(w), shared(dy)];
        expect(pool.convForward(sx, sw, g), `forward ${i}`).toEqual(one.convForward(x, w, g));
        expect(pool.convFilter(sx, sdy, g), `filter ${i}`).toEqual(one.convFilter(x, dy, g));
        expect(pool.convInput(sdy, sw, g), `input ${i}`).toEqual(one.convInput(dy, w, g));
        // One operand shared, the other not: the copy of the other is made by the calling thread.
        expect(pool.convForward(x, sw, g), `forward ${i}, x not shared`).toEqual(
          one.convForward(x, w, g),
        );
        expect(pool.convFilter(sx, dy, g), `filter ${i}, dy not shared`).toEqual(
          one.convFilter(x, dy, g),
        );
      }
      pool.release();
    });

    it(`${threads} threads: Sum / Mean reductions of odd shapes equal the calling thread's`, async () => {
      const pool = await readyPool(threads);
      for (const [outer, R, inner] of [
        [1, 1001, 70],
        [3, 17, 130],
        [5, 3, 1],
        [2, 65, 33],
        [1, 7, 17],
      ] as const) {
        const x = values(outer * R * inner, outer * R + inner);
        for (const divisor of [0, Math.fround(R)]) {
          const what = `[${outer}, ${R}, ${inner}] / ${divisor}`;
          const expected = one.reduce(x, outer, R, inner, divisor);
          expect(pool.reduce(shared(x), outer, R, inner, divisor), what).toEqual(expected);
          expect(pool.reduce(x, outer, R, inner, divisor), `${what}, x not shared`).toEqual(
            expected,
          );
        }
      }
      pool.release();
    });
  }
});

describe('worker pool through tfjs', () => {
  it('conv2d / conv2dTranspose gradients are bit-identical for 1, 2 and 3 threads', () => {
    registerVqkitKernels({ backend: 'cpu', threads: 1 });
    const x = tf.randomUniform([2, 12, 10, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const w1 = tf.randomUniform([4, 4, 3, 6], -1, 1, 'float32', 2) as tf.Tensor4D;
    const w2 = tf.randomUniform([4, 4, 3, 6], -1, 1, 'float32', 3) as tf.Tensor4D;
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(
        tf.square(
          tf.conv2dTranspose(
            tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')),
            c as tf.Tensor4D,
            [2, 12, 10, 3],
            2,
            'same',
          ),
        ),
      );
    const run = (threads: number) => {
      configureCpuExecutor({ threads, minParallelFlops: 0 });
      const gs = tf.grads(loss)([x, w1, w2]);
      const out = gs.map((g) => Array.from(g.dataSync()));
      tf.dispose(gs);
      return out;
    };
    const single = run(1);
    expect(run(2)).toEqual(single);
    expect(run(3)).toEqual(single);
    tf.dispose([x, w1, w2]);
  });

  it('disposing the cpu backend stops the workers', async () => {
    registerVqkitKernels({ backend: 'cpu', threads: 2 });
    configureCpuExecutor({ threads: 2, minParallelFlops: 0 });
    const pool = cpuExecutor() as WorkerPoolExecutor;
    tf.tidy(() =>
      tf.conv2d(
        tf.ones([1, 8, 8, 4]) as tf.Tensor4D,
        tf.ones([3, 3, 4, 4]) as tf.Tensor4D,
        1,
        'same',
      ),
    );
    while (pool.stats().readyWorkers < 1) await new Promise((r) => setTimeout(r, 5));
    tf.engine().reset();
    expect(pool.stats().readyWorkers).toBe(0);
    await tf.setBackend('cpu');
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  });

  it('a Node process using the pool exits by itself (workers are unref’d)', () => {
    const fixture = fileURLToPath(new URL('./fixtures/exits-by-itself.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', fixture], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^threads 2, y 2x32x32x32, sum -?\d+\.\d{3}\n$/);
  });
});

describe('control block errors', () => {
  it('a unit that throws (a kernel module that does not compile) is recorded, counted as done, and never escapes', () => {
    const S = controlSlots();
    const memory = new (wasmApi() as WasmApi).Memory({ initial: 4, maximum: 64, shared: true });
    const ctl = new Int32Array(memory.buffer, 0, S.BYTES / 4);
    const g = GEOMETRIES[1]!;
    const job: Job = {
      gen: 1,
      kind: jobKinds().directForward,
      units: 3,
      part: [1],
      geometry: g,
      ops: [new Float32Array(g.batch * g.outH * g.outW * g.outC)],
      scratch: S.BYTES / 4,
      stride: 0,
      direct: { base: S.BYTES / 4, modules: [{ key: 'broken', bytes: Uint8Array.of(0, 97, 115) }] },
    };
    Atomics.store(ctl, S.CLAIM, job.gen << S.UNIT_BITS);
    const ran = workOnJob(createThreadContext(0, memory, undefined), ctl, job);
    expect(ran).toBe(3);
    expect(Atomics.load(ctl, S.DONE)).toBe(3);
    expect(Atomics.load(ctl, S.ERROR)).toBe(3);
    expect(readError(ctl)).toMatch(/^CompileError: /);
  });

  it('keeps the first error message for the calling thread to report', () => {
    const ctl = new Int32Array(controlSlots().BYTES / 4);
    recordError(ctl, new RangeError('unit 3 out of range'));
    recordError(ctl, new Error('second'));
    expect(ctl[controlSlots().ERROR]).toBe(2);
    expect(readError(ctl)).toBe('RangeError: unit 3 out of range');
  });
});
