import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@vqkit/random';
import { describe, expect, it } from 'vitest';
import {
  type Backbone,
  createDecoder,
  createEncoder,
  createProjection,
  createTopDecoder,
  createUpsampler,
  mergeVariables,
} from './backbone';
import { BackbonesError } from './errors';
import { vqvaeParamCounts } from './param-counts';

function run(m: Backbone, shape: [number, number, number, number], seed = 0): number[] {
  const x = tf.tensor4d(
    new Rng(seed).fillUniform(new Float32Array(shape.reduce((a, b) => a * b)), -1, 1),
    shape,
  );
  const y = m.apply(x);
  const out = y.shape;
  expect(m.outputShape(shape)).toEqual(out);
  tf.dispose([x, y]);
  return out;
}

const small = { resBlocks: 1, resChannels: 4 };

describe('output shapes (NHWC)', () => {
  it('encoders ×2, ×4, ×8 on non-square input', () => {
    const e2 = createEncoder({ inChannels: 3, channels: 8, downsample: 2, seed: 1, ...small });
    const e4 = createEncoder({ inChannels: 3, channels: 8, downsample: 4, seed: 2, ...small });
    const e8 = createEncoder({ inChannels: 3, channels: 8, downsample: 8, seed: 3, ...small });
    expect(run(e2, [2, 8, 12, 3])).toEqual([2, 4, 6, 8]);
    expect(run(e4, [2, 8, 12, 3])).toEqual([2, 2, 3, 8]);
    expect(run(e8, [1, 16, 8, 3])).toEqual([1, 2, 1, 8]);
    tf.dispose([e2, e4, e8].flatMap((m) => Object.values(m.variables)));
  });

  it('decoders ×2, ×4, ×8, upsampler ×2/×4, projection, top decoder', () => {
    const mods = {
      d2: createDecoder({
        inChannels: 4,
        channels: 8,
        outChannels: 3,
        upsample: 2,
        seed: 1,
        ...small,
      }),
      d4: createDecoder({
        inChannels: 4,
        channels: 8,
        outChannels: 3,
        upsample: 4,
        seed: 2,
        ...small,
      }),
      d8: createDecoder({
        inChannels: 4,
        channels: 8,
        outChannels: 3,
        upsample: 8,
        seed: 3,
        ...small,
      }),
      u2: createUpsampler({ inChannels: 4, seed: 4 }),
      u4: createUpsampler({ inChannels: 4, outChannels: 2, factor: 4, seed: 5 }),
      p: createProjection({ inChannels: 8, codeDim: 4, seed: 6 }),
      td: createTopDecoder({ codeDim: 4, channels: 8, seed: 7, ...small }),
    };
    expect(run(mods.d2, [2, 3, 5, 4])).toEqual([2, 6, 10, 3]);
    expect(run(mods.d4, [2, 3, 5, 4])).toEqual([2, 12, 20, 3]);
    expect(run(mods.d8, [1, 1, 2, 4])).toEqual([1, 8, 16, 3]);
    expect(run(mods.u2, [2, 3, 5, 4])).toEqual([2, 6, 10, 4]);
    expect(run(mods.u4, [1, 3, 2, 4])).toEqual([1, 12, 8, 2]);
    expect(run(mods.p, [2, 3, 5, 8])).toEqual([2, 3, 5, 4]);
    expect(run(mods.td, [2, 3, 5, 4])).toEqual([2, 6, 10, 4]);
    for (const m of Object.values(mods)) m.dispose();
  });

  it('paper configurations: 256×256 → 64×64 bottom, 32×32 top; decoders back to 256×256', () => {
    const rng = new Rng(0);
    const bottom = createEncoder({
      inChannels: 3,
      channels: 128,
      downsample: 4,
      seed: rng,
      name: 'bottom.encoder',
    });
    const top = createEncoder({
      inChannels: 128,
      channels: 128,
      downsample: 2,
      seed: rng,
      name: 'top.encoder',
    });
    const single = createEncoder({ inChannels: 3, channels: 160, downsample: 4, seed: rng });
    const up = createUpsampler({ inChannels: 8, seed: rng });
    const dec = createDecoder({
      inChannels: 16,
      channels: 128,
      outChannels: 3,
      upsample: 4,
      seed: rng,
    });
    expect(bottom.outputShape([4, 256, 256, 3])).toEqual([4, 64, 64, 128]);
    expect(top.outputShape([4, 64, 64, 128])).toEqual([4, 32, 32, 128]);
    expect(single.outputShape([4, 256, 256, 3])).toEqual([4, 64, 64, 160]);
    expect(up.outputShape([4, 32, 32, 8])).toEqual([4, 64, 64, 8]);
    expect(dec.outputShape([4, 64, 64, 16])).toEqual([4, 256, 256, 3]);
    // and the real forward pass agrees at a small size
    expect(run(bottom, [1, 8, 12, 3])).toEqual([1, 2, 3, 128]);
    for (const m of [bottom, top, single, up, dec]) m.dispose();
  });
});

describe('forward pass follows the VQ-VAE-2 layer list', () => {
  // Composed by hand from the description, with the module's own variables.
  const conv = (
    m: Backbone,
    x: tf.Tensor4D,
    name: string,
    stride: number,
    pad: number,
  ): tf.Tensor4D =>
    tf.add(
      tf.conv2d(x, m.variables[`${name}.weight`] as tf.Tensor4D, stride, [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ]),
      m.variables[`${name}.bias`]!,
    );
  const convT = (m: Backbone, x: tf.Tensor4D, name: string, out: number): tf.Tensor4D => {
    const [b, h, w] = x.shape;
    const y = tf.conv2dTranspose(
      x,
      m.variables[`${name}.weight`] as tf.Tensor4D,
      [b, 2 * h, 2 * w, out],
      2,
      'same',
    );
    return tf.add(y, m.variables[`${name}.bias`]!);
  };
  const res = (m: Backbone, x: tf.Tensor4D, j: number): tf.Tensor4D =>
    tf.add(
      x,
      conv(
        m,
        tf.relu(conv(m, tf.relu(x), `${m.name}.res.${j}.conv3x3`, 1, 1)),
        `${m.name}.res.${j}.conv1x1`,
        1,
        0,
      ),
    );
  const close = (a: tf.Tensor, b: tf.Tensor) => {
    expect(a.shape).toEqual(b.shape);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
  };

  it('encoder ×4 and ×2', () => {
    tf.tidy(() => {
      const x = tf.randomUniform([1, 8, 4, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
      const e4 = createEncoder({
        inChannels: 3,
        channels: 4,
        downsample: 4,
        resBlocks: 2,
        resChannels: 2,
        seed: 1,
      });
      let h = tf.relu(conv(e4, x, 'encoder.down.0', 2, 1));
      h = tf.relu(conv(e4, h, 'encoder.down.1', 2, 1));
      h = conv(e4, h, 'encoder.conv', 1, 1);
      h = tf.relu(res(e4, res(e4, h, 0), 1));
      close(e4.apply(x), h);
      const e2 = createEncoder({
        inChannels: 3,
        channels: 4,
        downsample: 2,
        resBlocks: 1,
        resChannels: 2,
        seed: 2,
      });
      const h2 = tf.relu(
        res(e2, conv(e2, tf.relu(conv(e2, x, 'encoder.down.0', 2, 1)), 'encoder.conv', 1, 1), 0),
      );
      close(e2.apply(x), h2);
      e4.dispose();
      e2.dispose();
    });
  });

  it('decoder ×4 (no output activation) and top decoder ×2', () => {
    tf.tidy(() => {
      const z = tf.randomUniform([2, 2, 3, 2], -1, 1, 'float32', 2) as tf.Tensor4D;
      const d = createDecoder({
        inChannels: 2,
        channels: 4,
        outChannels: 3,
        upsample: 4,
        resBlocks: 1,
        resChannels: 2,
        seed: 3,
      });
      let h = tf.relu(res(d, conv(d, z, 'decoder.conv', 1, 1), 0));
      h = convT(d, tf.relu(convT(d, h, 'decoder.up.0', 2)), 'decoder.up.1', 3);
      close(d.apply(z), h);
      expect(tf.min(h).dataSync()[0]).toBeLessThan(0);
      const td = createTopDecoder({
        codeDim: 2,
        channels: 4,
        resBlocks: 1,
        resChannels: 2,
        seed: 4,
      });
      const t = convT(
        td,
        tf.relu(res(td, conv(td, z, 'topDecoder.conv', 1, 1), 0)),
        'topDecoder.up.0',
        2,
      );
      close(td.apply(z), t);
      d.dispose();
      td.dispose();
    });
  });
});

describe('input validation', () => {
  const enc = () => createEncoder({ inChannels: 3, channels: 4, downsample: 4, seed: 0, ...small });

  it('rejects sizes the stride does not divide, naming size, multiple and fix', () => {
    const e = enc();
    const x = tf.zeros([1, 30, 32, 3]) as tf.Tensor4D;
    expect(() => e.apply(x)).toThrow(BackbonesError);
    expect(() => e.apply(x)).toThrow(expect.objectContaining({ name: 'BackbonesError' }));
    expect(() => e.apply(x)).toThrow(
      /height 30 is not a multiple of downsample = 4.*\[1,30,32,3\].*28 or 32/,
    );
    expect(() => e.outputShape([1, 32, 33, 3])).toThrow(
      /width 33 is not a multiple of downsample = 4/,
    );
    expect(() => e.outputShape([1, 2, 4, 3])).toThrow(/height 2 .*e\.g\. 4\./);
    x.dispose();
    e.dispose();
  });

  it('rejects wrong channels, rank and dtype; disposed modules', () => {
    const e = enc();
    expect(() => e.outputShape([1, 8, 8, 4])).toThrow(/must have 3 channels.*\[1,8,8,4\]/);
    expect(() => e.outputShape([8, 8, 3])).toThrow(/NHWC tensor.*tf\.expandDims/);
    const xi = tf.zeros([1, 8, 8, 3], 'int32') as tf.Tensor4D;
    expect(() => e.apply(xi)).toThrow(/float32, got int32/);
    xi.dispose();
    e.dispose();
    expect(() => e.outputShape([1, 8, 8, 3])).toThrow(/disposed/);
  });

  it('rejects bad options with the argument named', () => {
    const base = { inChannels: 3, channels: 8, downsample: 4, seed: 0 };
    expect(() => createEncoder({ ...base, downsample: 3 })).toThrow(
      /downsample must be a power of two/,
    );
    expect(() => createEncoder({ ...base, channels: 7 })).toThrow(/channels must be even.*got 7/);
    expect(() => createEncoder({ ...base, resBlocks: -1 })).toThrow(
      /resBlocks must be an integer ≥ 0/,
    );
    expect(() => createEncoder({ ...base, seed: Number.NaN })).toThrow(
      /seed must be a finite number or an Rng/,
    );
    expect(() => createEncoder({ ...base, name: 'bad name' })).toThrow(
      /name must be a dotted identifier/,
    );
    expect(() =>
      createDecoder({ inChannels: 8, channels: 8, outChannels: 3, upsample: 1, seed: 0 }),
    ).toThrow(/createDecoder: upsample must be a power of two/);
    expect(() => createProjection({ inChannels: 8, codeDim: 0, seed: 0 })).toThrow(
      /codeDim must be an integer ≥ 1/,
    );
    expect(() => createUpsampler({ inChannels: 8, factor: 6, seed: 0 })).toThrow(
      /factor must be a power of two/,
    );
  });
});

describe('variables and parameters', () => {
  it('stable hierarchical names, PyTorch VQ-VAE-2 layer shapes', () => {
    const e = createEncoder({
      inChannels: 3,
      channels: 8,
      downsample: 4,
      seed: 0,
      resBlocks: 2,
      resChannels: 4,
    });
    const shapes = Object.fromEntries(Object.entries(e.variables).map(([k, v]) => [k, v.shape]));
    expect(shapes).toEqual({
      'encoder.down.0.weight': [4, 4, 3, 4],
      'encoder.down.0.bias': [4],
      'encoder.down.1.weight': [4, 4, 4, 8],
      'encoder.down.1.bias': [8],
      'encoder.conv.weight': [3, 3, 8, 8],
      'encoder.conv.bias': [8],
      'encoder.res.0.conv3x3.weight': [3, 3, 8, 4],
      'encoder.res.0.conv3x3.bias': [4],
      'encoder.res.0.conv1x1.weight': [1, 1, 4, 8],
      'encoder.res.0.conv1x1.bias': [8],
      'encoder.res.1.conv3x3.weight': [3, 3, 8, 4],
      'encoder.res.1.conv3x3.bias': [4],
      'encoder.res.1.conv1x1.weight': [1, 1, 4, 8],
      'encoder.res.1.conv1x1.bias': [8],
    });
    const d = createDecoder({
      inChannels: 2,
      channels: 8,
      outChannels: 3,
      upsample: 2,
      seed: 0,
      resBlocks: 0,
      name: 'dec',
    });
    const dShapes = Object.fromEntries(Object.entries(d.variables).map(([k, v]) => [k, v.shape]));
    // transposed-conv filters are [k, k, out, in]
    expect(dShapes).toEqual({
      'dec.conv.weight': [3, 3, 2, 8],
      'dec.conv.bias': [8],
      'dec.up.0.weight': [4, 4, 3, 8],
      'dec.up.0.bias': [3],
    });
    const shapesOf = (m: Backbone, part: string) =>
      Object.entries(m.variables)
        .filter(([k]) => k.includes(part) && k.endsWith('weight'))
        .map(([, v]) => v.shape);
    // ×8 repeats the stride-2 stage at C/2 channels, mirrored in the decoder
    const e8 = createEncoder({ inChannels: 3, channels: 8, downsample: 8, seed: 0, resBlocks: 0 });
    expect(shapesOf(e8, '.down.')).toEqual([
      [4, 4, 3, 4],
      [4, 4, 4, 4],
      [4, 4, 4, 8],
    ]);
    const d8 = createDecoder({
      inChannels: 2,
      channels: 8,
      outChannels: 3,
      upsample: 8,
      seed: 0,
      resBlocks: 0,
    });
    expect(shapesOf(d8, '.up.')).toEqual([
      [4, 4, 4, 8],
      [4, 4, 4, 4],
      [4, 4, 3, 4],
    ]);
    for (const m of [e, d, e8, d8]) m.dispose();
  });

  it('paper configurations: exact counts per module and for both full models', () => {
    const rng = new Rng(3);
    const D = 8;
    const single = {
      encoder: createEncoder({ inChannels: 3, channels: 160, downsample: 4, seed: rng }),
      projection: createProjection({ inChannels: 160, codeDim: D, seed: rng }),
      decoder: createDecoder({
        inChannels: D,
        channels: 160,
        outChannels: 3,
        upsample: 4,
        seed: rng,
      }),
    };
    const hier = {
      bottomEncoder: createEncoder({
        inChannels: 3,
        channels: 128,
        downsample: 4,
        seed: rng,
        name: 'enc_b',
      }),
      topEncoder: createEncoder({
        inChannels: 128,
        channels: 128,
        downsample: 2,
        seed: rng,
        name: 'enc_t',
      }),
      bottomProjection: createProjection({
        inChannels: 128,
        codeDim: D,
        seed: rng,
        name: 'proj_b',
      }),
      topProjection: createProjection({ inChannels: 128, codeDim: D, seed: rng, name: 'proj_t' }),
      upsampler: createUpsampler({ inChannels: D, seed: rng }),
      decoder: createDecoder({
        inChannels: 2 * D,
        channels: 128,
        outChannels: 3,
        upsample: 4,
        seed: rng,
      }),
    };
    // Hand-derived (k·k·in·out + out per conv; ResBlock(C, R) = 10·C·R + R + C with the default
    // R = C/2), e.g. the single encoder: 3,920 (4×4 3→80) + 204,960 (4×4 80→160) + 230,560 (3×3)
    // + 2 · 128,240 (ResBlocks 160→80→160).
    const counts = Object.fromEntries(Object.entries(single).map(([k, m]) => [k, m.countParams()]));
    expect(counts).toEqual({ encoder: 695_920, projection: 1_288, decoder: 476_883 });
    const hCounts = Object.fromEntries(Object.entries(hier).map(([k, m]) => [k, m.countParams()]));
    expect(hCounts).toEqual({
      bottomEncoder: 446_144,
      topEncoder: 369_216,
      bottomProjection: 1_032,
      topProjection: 1_032,
      upsampler: 1_032,
      decoder: 316_995,
    });
    const helper = vqvaeParamCounts();
    expect(helper.single).toEqual({ ...counts, total: 1_174_091 });
    expect(helper.hierarchical).toEqual({ ...hCounts, topDecoder: 0, total: 1_135_451 });
    expect(mergeVariables(...Object.values(hier)).variables['enc_t.down.0.weight']!.shape).toEqual([
      4, 4, 128, 64,
    ]);

    const td = createTopDecoder({ codeDim: D, channels: 128, seed: rng });
    const condProj = createProjection({ inChannels: 128 + D, codeDim: D, seed: rng });
    const cond = vqvaeParamCounts({ conditioned: true }).hierarchical;
    expect(cond.topDecoder).toBe(td.countParams());
    expect(cond.topDecoder).toBe(189_960);
    expect(cond.bottomProjection).toBe(condProj.countParams());
    expect(cond.total).toBe(1_325_475);
    for (const m of [...Object.values(single), ...Object.values(hier), td, condProj]) m.dispose();
  });

  it("residual width R = C/2 by default: the paper configs' counts equal the PyTorch reference", () => {
    // `python3 bench/reference/vqvae_step.py --params-only` (PyTorch 1.13, the authors' rule
    // n_res_channel = latent_channel // 2) prints exactly these (trainable, codebooks excluded).
    const reference: Record<number, [number, number]> = {
      8: [1_174_091, 1_135_451],
      16: [1_186_899, 1_159_027],
      32: [1_212_515, 1_212_323],
    };
    for (const [d, [single, hierarchical]] of Object.entries(reference)) {
      const c = vqvaeParamCounts({ codeDim: Number(d) });
      expect([c.single.total, c.hierarchical.total], `D = ${d}`).toEqual([single, hierarchical]);
    }
    // 'half' is per side (80 for Cs 160, 64 for Ch 128) and is what the modules do by default.
    expect(vqvaeParamCounts({ resChannels: 'half' })).toEqual(vqvaeParamCounts());
    const enc = createEncoder({ inChannels: 3, channels: 160, downsample: 4, seed: 1 });
    expect(enc.variables['encoder.res.0.conv3x3.weight']!.shape).toEqual([3, 3, 160, 80]);
    const td = createTopDecoder({ codeDim: 8, channels: 128, seed: 1 });
    expect(td.variables['topDecoder.res.0.conv1x1.weight']!.shape).toEqual([1, 1, 64, 128]);
    enc.dispose();
    td.dispose();
  });

  it('an explicit residual width is still allowed (R = 32 gives the former 0.867 M / 0.889 M)', () => {
    const c = vqvaeParamCounts({ resChannels: 32 });
    expect([c.single.total, c.hierarchical.total]).toEqual([866_699, 889_499]);
    const enc = createEncoder({
      inChannels: 3,
      channels: 160,
      downsample: 4,
      resChannels: 32,
      seed: 1,
    });
    expect(enc.countParams()).toBe(542_224);
    enc.dispose();
    for (const bad of ['third', 0, 2.5]) {
      expect(() => vqvaeParamCounts({ resChannels: bad as never })).toThrow(
        new RegExp(
          `vqvaeParamCounts: resChannels must be an integer ≥ 1, got ${bad}\\. Or pass 'half'`,
        ),
      );
      expect(() =>
        createDecoder({
          inChannels: 8,
          channels: 16,
          outChannels: 3,
          upsample: 2,
          resChannels: bad as never,
          seed: 1,
        }),
      ).toThrow(
        /createDecoder: resChannels must be an integer ≥ 1.*'half' for half the feature channels \(8 here\)/,
      );
    }
  });

  it('the helper follows its options (D = 128 widens projections, decoder input and upsampler)', () => {
    const c = vqvaeParamCounts({ codeDim: 128 });
    expect(c.single.projection).toBe(160 * 128 + 128);
    expect(c.hierarchical.upsampler).toBe(16 * 128 * 128 + 128);
    expect(c.hierarchical.decoder - vqvaeParamCounts().hierarchical.decoder).toBe(
      9 * (256 - 16) * 128,
    );
  });

  it('same seed → identical weights; different seed → different; Rng seeds advance', () => {
    const opts = { inChannels: 2, codeDim: 3 };
    const a = createProjection({ ...opts, seed: 5 });
    const b = createProjection({ ...opts, seed: 5 });
    const c = createProjection({ ...opts, seed: 6 });
    const rng = new Rng(5);
    const d = createProjection({ ...opts, seed: rng });
    const e = createProjection({ ...opts, seed: rng });
    const w = (m: Backbone) => Array.from(m.variables['projection.weight']!.dataSync());
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    expect(w(d)).toEqual(w(a));
    expect(w(e)).not.toEqual(w(d));
    for (const m of [a, b, c, d, e]) m.dispose();
  });

  it('mergeVariables rejects duplicate names, listing them', () => {
    const a = createProjection({ inChannels: 2, codeDim: 2, seed: 1 });
    const b = createProjection({ inChannels: 2, codeDim: 2, seed: 2 });
    expect(() => mergeVariables(a, b)).toThrow(
      /2 duplicate variable name\(s\): projection\.weight, projection\.bias/,
    );
    a.dispose();
    b.dispose();
  });
});

describe('gradients', () => {
  it('reach every variable of a tiny hierarchical model (conditioned variant included)', () => {
    const rng = new Rng(11);
    const C = 4;
    const D = 2;
    const r = { resBlocks: 1, resChannels: 2, seed: rng };
    const m = {
      encB: createEncoder({ inChannels: 3, channels: C, downsample: 4, name: 'encB', ...r }),
      encT: createEncoder({ inChannels: C, channels: C, downsample: 2, name: 'encT', ...r }),
      projT: createProjection({ inChannels: C, codeDim: D, name: 'projT', seed: rng }),
      topDec: createTopDecoder({ codeDim: D, channels: C, ...r }),
      projB: createProjection({ inChannels: C + D, codeDim: D, name: 'projB', seed: rng }),
      up: createUpsampler({ inChannels: D, seed: rng }),
      dec: createDecoder({ inChannels: 2 * D, channels: C, outChannels: 3, upsample: 4, ...r }),
    };
    const all = mergeVariables(...Object.values(m));
    const x = tf.tensor4d(rng.fillUniform(new Float32Array(2 * 8 * 8 * 3), -1, 1), [2, 8, 8, 3]);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const zb = m.encB.apply(x);
      const zt = m.projT.apply(m.encT.apply(zb));
      const zeB = m.projB.apply(tf.concat([zb, m.topDec.apply(zt)], 3));
      const xHat = m.dec.apply(tf.concat([zeB, m.up.apply(zt)], 3));
      return tf.mean(tf.square(tf.sub(xHat, x)));
    }, Object.values(all.variables));
    expect(Object.keys(grads).length).toBe(Object.keys(all.variables).length);
    for (const [name, v] of Object.entries(all.variables)) {
      const g = grads[v.name];
      expect(g, name).toBeDefined();
      expect(g!.shape, name).toEqual(v.shape);
      const norm = tf.tidy(() => tf.sum(tf.abs(g!)).dataSync()[0]!);
      expect(norm, name).toBeGreaterThan(0);
      expect(Number.isFinite(norm), name).toBe(true);
    }
    expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    for (const mod of Object.values(m)) mod.dispose();
  });

  it('apply leaves no intermediate tensors behind', () => {
    const e = createEncoder({ inChannels: 3, channels: 4, downsample: 2, seed: 0, ...small });
    const x = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const y = e.apply(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([x, y]);
    e.dispose();
  });

  it('dispose frees every tensor the module allocated (regression: initial values leaked)', () => {
    const before = tf.memory().numTensors;
    const e = createEncoder({ inChannels: 3, channels: 4, downsample: 4, seed: 0, ...small });
    expect(tf.memory().numTensors).toBe(before + Object.keys(e.variables).length);
    e.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
