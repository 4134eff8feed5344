import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  createDecoder,
  createEncoder,
  createUpsampler,
  mergeVariables,
  type VariableContainer,
} from './backbone';
import { BackbonesError } from './errors';
import { decodeSafetensors, encodeSafetensors } from './safetensors';
import { loadWeights, saveWeights } from './weights';

const bits = (m: VariableContainer) =>
  Object.fromEntries(
    Object.entries(m.variables).map(([k, v]) => [
      k,
      Array.from(new Uint32Array((v.dataSync() as Float32Array).slice().buffer)),
    ]),
  );

const enc = (seed: number, channels = 8) =>
  createEncoder({ inChannels: 3, channels, downsample: 2, resBlocks: 1, resChannels: 4, seed });

describe('saveWeights / loadWeights', () => {
  it('round-trips bit-exactly (including -0 and NaN payloads) and returns the metadata', async () => {
    const a = enc(1);
    const special = new Float32Array(
      new Uint32Array([0x80000000, 0x7fc00123, 0x00000001, 0x7f7fffff]).buffer,
    );
    a.variables['encoder.conv.bias']!.assign(tf.tensor1d([...special, 1, 2, 3, 4]));
    const bytes = await saveWeights(a, { config: '{"channels":8}' });
    const b = enc(2);
    expect(bits(b)).not.toEqual(bits(a));
    const meta = loadWeights(b, bytes, { finite: false }); // NaN payloads load only on request
    expect(meta).toEqual({ config: '{"channels":8}' });
    expect(bits(b)).toEqual(bits(a));
    // identical outputs
    const x = tf.randomUniform([1, 4, 6, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const [ya, yb] = [a.apply(x), b.apply(x)];
    expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
  });

  it('stores names, F32 dtype and tfjs-layout shapes', async () => {
    const u = createUpsampler({ inChannels: 3, outChannels: 5, seed: 0 });
    const file = decodeSafetensors(await saveWeights(u));
    expect(
      Object.fromEntries(Object.entries(file.tensors).map(([k, t]) => [k, [t.dtype, t.shape]])),
    ).toEqual({
      'upsampler.up.0.weight': ['F32', [4, 4, 5, 3]],
      'upsampler.up.0.bias': ['F32', [5]],
    });
    u.dispose();
  });

  it('a file with wrong shapes, a missing and an extra tensor fails listing every mismatch, assigning nothing', async () => {
    const small = enc(1, 4);
    const bytes = await saveWeights(small);
    const target = enc(2, 8);
    const before = bits(target);
    let err: BackbonesError | undefined;
    try {
      loadWeights(target, bytes);
    } catch (e) {
      err = e as BackbonesError;
    }
    expect(err).toBeInstanceOf(BackbonesError);
    // channels 4 vs 8: 7 of the 8 variables change shape (only res.0.conv3x3.bias, [R], does not)
    expect(err!.message).toMatch(
      /tensor 'encoder\.down\.0\.weight': wrong shape, expected F32 \[4,4,3,4\], file has F32 \[4,4,3,2\]/,
    );
    expect(err!.message).toMatch(
      /tensor 'encoder\.conv\.weight': wrong shape, expected F32 \[3,3,4,8\], file has F32 \[3,3,2,4\]/,
    );
    expect(err!.problems).toHaveLength(7);
    expect(err!.message).not.toMatch(/conv3x3.bias/);
    expect(bits(target)).toEqual(before);

    // missing + unexpected + wrong dtype, all listed together
    const file = decodeSafetensors(await saveWeights(target));
    delete file.tensors['encoder.conv.bias'];
    file.tensors['encoder.extra'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) };
    const w = file.tensors['encoder.down.0.bias']!;
    file.tensors['encoder.down.0.bias'] = {
      dtype: 'F64',
      shape: w.shape,
      data: Float64Array.from(w.data as Float32Array),
    };
    const edited = encodeSafetensors(file.tensors);
    const problems = (() => {
      try {
        loadWeights(target, edited);
      } catch (e) {
        return (e as BackbonesError).problems;
      }
      return [];
    })();
    expect(problems).toEqual([
      "tensor 'encoder.down.0.bias': wrong dtype, expected F32 [4], file has F64 [4]",
      "missing tensor 'encoder.conv.bias' (expected F32 [8])",
      "unexpected tensor 'encoder.extra' (F32 [1]) not in the module",
    ]);
    small.dispose();
    target.dispose();
  });

  it('strict: false loads one module out of a whole-model file', async () => {
    const e = enc(1);
    const d = createDecoder({
      inChannels: 2,
      channels: 4,
      outChannels: 3,
      upsample: 2,
      resBlocks: 0,
      seed: 2,
    });
    const bytes = await saveWeights(mergeVariables(e, d));
    const e2 = enc(3);
    expect(() => loadWeights(e2, bytes)).toThrow(
      /unexpected tensor 'decoder\.conv\.weight'.*pass \{ strict: false \}/,
    );
    loadWeights(e2, bytes, { strict: false });
    expect(bits(e2)).toEqual(bits(e));
    tf.dispose([e, d, e2].flatMap((m) => Object.values(m.variables)));
  });

  it('loading leaks no tensors', async () => {
    const a = enc(1);
    const bytes = await saveWeights(a);
    const before = tf.memory().numTensors;
    loadWeights(a, bytes);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });

  it('refuses non-finite weights (a diverged run), listing counts with every other mismatch', async () => {
    const a = enc(1);
    a.variables['encoder.conv.bias']!.assign(tf.tensor1d([NaN, NaN, Infinity, 0, 1, 2, 3, 4]));
    const file = decodeSafetensors(await saveWeights(a));
    delete file.tensors['encoder.down.0.bias'];
    const bytes = encodeSafetensors(file.tensors);
    const target = enc(2);
    const before = bits(target);
    let err: BackbonesError | undefined;
    try {
      loadWeights(target, bytes);
    } catch (e) {
      err = e as BackbonesError;
    }
    expect(err).toBeInstanceOf(BackbonesError);
    expect(err!.problems).toEqual([
      "missing tensor 'encoder.down.0.bias' (expected F32 [4])",
      "tensor 'encoder.conv.bias' (F32 [8]) has 2 NaN values and 1 infinite value",
    ]);
    expect(err!.message).toMatch(
      /To fix it, build the module with the configuration the file was saved from; or non-finite weights come from a diverged run: load an earlier file, or pass \{ finite: false \} to inspect them\.$/,
    );
    expect(bits(target)).toEqual(before); // nothing assigned
    a.dispose();
    target.dispose();
  });

  it('saves a checksum and refuses a damaged file as damaged', async () => {
    const a = enc(1);
    const bytes = await saveWeights(a);
    expect(decodeSafetensors(bytes).checksummed).toBe(true);
    const flipped = bytes.slice();
    const at = flipped.length - 3; // an exponent byte of the last float
    flipped[at] = flipped[at]! ^ 0x40;
    expect(() => loadWeights(a, flipped)).toThrow(
      /decodeSafetensors: the file is damaged: the CRC-32 of its data section/,
    );
    a.dispose();
  });
});
