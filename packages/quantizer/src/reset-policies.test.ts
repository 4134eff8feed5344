import { describe, expect, it } from 'vitest';
import { clusters, mat as rows, train } from '../test/fixtures';
import { emaDeadCodeReset, initFromTensor, VectorQuantizer } from './index';

describe('emaDeadCodeReset', () => {
  it('resets codes with N_k < threshold from the current batch; N_k ← threshold, M_k ← threshold·e_k', async () => {
    const vq = new VectorQuantizer({
      codebookSize: 3,
      codeDim: 2,
      decay: 0.9,
      init: initFromTensor([
        [0, 0],
        [5, 5],
        [100, 100],
      ]),
      reset: emaDeadCodeReset({ threshold: 1 }),
    });
    const z = clusters(
      [
        [0, 0],
        [5, 5],
      ],
      4,
      0.2,
      8,
    );
    train(vq, z);
    const cb = rows(vq.codebook);
    expect(rows(z).map((r) => r.join())).toContain(cb[2]!.join());
    const state = await vq.getState();
    // Live codes: N = 0.9 + 0.1·4 = 1.3 ≥ 1; the planted one: 0.9 < 1 → reset to 1.
    expect(state.emaCount.data[0]).toBeCloseTo(1.3, 6);
    expect(state.emaCount.data[2]).toBe(1);
    expect(Array.from(state.emaSum.data.slice(4, 6))).toEqual(cb[2]);
    z.dispose();
    vq.dispose();
  });
});
