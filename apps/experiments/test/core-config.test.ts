import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExperimentsError } from '../src/config/errors';
import { assertPairAllowed, latentSizes, matchReport } from '../src/config/matching';
import { PRESETS } from '../src/config/presets';
import { resolveConfig } from '../src/config/resolve';

function errorOf(action: () => unknown): ExperimentsError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ExperimentsError);
    return error as ExperimentsError;
  }
  throw new Error('expected an ExperimentsError, nothing was thrown');
}

describe('resolveConfig', () => {
  it('fills every default and names the run after preset and architecture', () => {
    const c = resolveConfig('tiny', ['architecture=hierarchical']);
    expect(c.name).toBe('tiny-hierarchical');
    expect(c.quantizer).toMatchObject({
      kind: 'vq',
      decay: 0.99,
      epsilon: 1e-5,
      commitmentWeight: 0.25,
      init: 'data',
      reset: 'windowed',
      resetThreshold: 2,
      resetWindow: 10,
    });
    expect(c.train.lrDecay).toBe(0.99);
    expect(c.allowUnmatched).toBe(false);
    expect(c.tags).toEqual({});
  });

  it("keeps the paper preset's numbers and asks for the ImageNet folders", () => {
    const err = errorOf(() => resolveConfig('paper'));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain("'data.train' is required");
    expect(err.message).toContain('--set data.train=');
    const c = resolveConfig('paper', ['data.train=/imagenet/train', 'data.val=/imagenet/val']);
    expect(c.data.size).toBe(256);
    expect(c.model.single).toEqual({ channels: 160, codebookSize: 8192, codeDim: 8 });
    expect(c.model.hierarchical).toEqual({
      channels: 128,
      codebookSize: 4096,
      codeDim: 8,
      conditioned: false,
    });
    expect(c.train).toMatchObject({
      epochs: 300,
      batchSize: 16,
      learningRate: 3e-4,
      lrDecay: 0.99,
    });
    expect(latentSizes(c)).toEqual({ bottom: 64, top: 32 });
    expect(matchReport(c).ok).toBe(true);
  });

  it('parses --set values as JSON when possible, else as strings', () => {
    const c = resolveConfig('tiny', [
      'train.epochs=7',
      'tags.cell=K8192-D8',
      'data.range=-1,1',
      'allowUnmatched=true',
    ]);
    expect(c.train.epochs).toBe(7);
    expect(c.tags.cell).toBe('K8192-D8');
    expect(c.data.range).toBe('-1,1');
    expect(c.allowUnmatched).toBe(true);
  });

  it('names an unknown key with its full path and the known keys', () => {
    const err = errorOf(() => resolveConfig('tiny', ['model.single.chanels=20']));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain("unknown key 'model.single.chanels'");
    expect(err.message).toContain('channels, codebookSize, codeDim');
  });

  it('names a wrong type with the key path, the expected type and the value', () => {
    const err = errorOf(() => resolveConfig('tiny', ['train.batchSize="big"']));
    expect(err.message).toContain('\'train.batchSize\' must be a number, got the string "big"');
    const int = errorOf(() => resolveConfig('tiny', ['train.epochs=1.5']));
    expect(int.message).toContain("'train.epochs' must be an integer");
    const en = errorOf(() => resolveConfig('tiny', ['architecture=triple']));
    expect(en.message).toContain('\'architecture\' must be one of "single", "hierarchical"');
  });

  it('reads YAML and JSON files and reports unparsable ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vqkit-config-'));
    const yaml = join(dir, 'cell.yaml');
    writeFileSync(
      yaml,
      'architecture: hierarchical\ndata:\n  train: /a\n  val: /b\n  size: 64\ntrain:\n  epochs: 3\n',
    );
    const c = resolveConfig(yaml);
    expect(c.name).toBe('cell-hierarchical');
    expect(c.data.size).toBe(64);
    expect(c.train.epochs).toBe(3);
    const json = join(dir, 'bad.json');
    writeFileSync(json, '{ "architecture": ');
    expect(errorOf(() => resolveConfig(json)).message).toContain('cannot parse');
    expect(errorOf(() => resolveConfig(join(dir, 'missing.yaml'))).message).toContain(
      'neither a preset',
    );
  });

  it('rejects malformed --set assignments', () => {
    expect(errorOf(() => resolveConfig('tiny', ['train.epochs'])).message).toContain(
      'expected key.path=value',
    );
    expect(errorOf(() => resolveConfig('tiny', ['seed.x=1'])).message).toContain(
      "'seed' is number 0, not a mapping",
    );
  });

  it('every preset is matched by eqs. 4–5', () => {
    for (const name of Object.keys(PRESETS)) {
      const sets = name === 'paper' ? ['data.train=/t', 'data.val=/v'] : [];
      const report = assertPairAllowed(resolveConfig(name, sets));
      expect(report.ok, name).toBe(true);
      expect(report.bitGap.indexBits, name).toBeGreaterThan(0);
    }
  });
});

describe('matched-pair check', () => {
  it('refuses an unmatched pair, naming the equation and --allow-unmatched', () => {
    const c = resolveConfig('tiny', ['model.single.channels=24']);
    const err = errorOf(() => assertPairAllowed(c));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('eq. 4');
    expect(err.message).toContain('--allow-unmatched');
    const d = resolveConfig('tiny', ['model.single.codebookSize=256']);
    expect(errorOf(() => assertPairAllowed(d)).message).toContain('eq. 5');
  });

  it('lets an unmatched pair through with allowUnmatched and reports it', () => {
    const c = resolveConfig('tiny', ['model.single.channels=24', 'allowUnmatched=true']);
    const report = assertPairAllowed(c);
    expect(report.ok).toBe(false);
    expect(report.allowUnmatched).toBe(true);
    expect(report.failures.length).toBeGreaterThan(0);
  });

  it('rejects crop sizes that give fractional latent maps', () => {
    const err = errorOf(() => latentSizes(resolveConfig('tiny', ['data.size=36'])));
    expect(err.message).toContain("'data.size' = 36 must be a multiple of");
    expect(err.message).toContain('32 or 40');
  });
});
