import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { CONTRACT_SPECS, describeFamilyContract } from '../test/family-contract';
import { setupWebGPU } from '../test/webgpu';
import { createQuantizer, type QuantizerSpec } from './index';

const adapter = await setupWebGPU();

/** Forward of one fixed batch on the active backend: indices, quantized values and loss. */
async function forwardOn(backend: string, spec: QuantizerSpec) {
  await tf.setBackend(backend);
  const q = createQuantizer(spec);
  const x = tf.tensor4d(
    Array.from({ length: 2 * 3 * 2 * 3 }, (_, i) => Math.sin(1.7 * i) * 1.5),
    [2, 3, 2, 3],
  );
  const trained = q.forward(x, { training: true });
  const result = {
    indices: Array.from(await trained.indices.data()),
    quantized: Array.from(await trained.quantized.data()),
    loss: (await trained.loss.data())[0]!,
  };
  tf.dispose([x, ...Object.values(trained).filter((v): v is tf.Tensor => v instanceof tf.Tensor)]);
  q.dispose();
  return result;
}

describe.skipIf(!adapter)(`webgpu (${adapter})`, () => {
  it.each(Object.entries(CONTRACT_SPECS))(
    '%s: same indices, values and loss as cpu',
    async (_, spec) => {
      const cpu = await forwardOn('cpu', spec);
      const gpu = await forwardOn('webgpu', spec);
      expect(gpu.indices).toEqual(cpu.indices);
      gpu.quantized.forEach((v, k) => {
        expect(v).toBeCloseTo(cpu.quantized[k]!, 4);
      });
      expect(gpu.loss).toBeCloseTo(cpu.loss, 4);
    },
  );

  describe('contract', () => {
    it('runs on webgpu', async () => {
      await tf.setBackend('webgpu');
      expect(tf.getBackend()).toBe('webgpu');
    });
    describeFamilyContract('webgpu', false);
  });
});
