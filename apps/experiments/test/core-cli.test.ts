import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { err, out, vqkit } from './cli-helpers';
import { makeDataset, tinyConfig } from './core-helpers';

describe('vqkit CLI exit codes', () => {
  it('exits 2 with the named key for a bad config', async () => {
    expect(await vqkit('train', '--config', 'tiny', '--set', 'model.single.chanels=3', '-q')).toBe(
      2,
    );
    expect(err).toContain("unknown key 'model.single.chanels'");
    expect(await vqkit('train', '--config', 'tiny', '--set', 'train.epochs="two"', '-q')).toBe(2);
    expect(err).toContain("'train.epochs' must be a number");
  });

  it('exits 2 for bad flags and missing inputs', async () => {
    expect(await vqkit('train', '--bogus')).toBe(2);
    expect(await vqkit('train', '--config', 'tiny', '--backend', 'metal')).toBe(2);
    expect(err).toContain('metal');
    expect(await vqkit('train', '-q')).toBe(2);
    expect(err).toContain('--config <file|preset> is required');
    expect(await vqkit('train', '--config', 'no-such-preset.yaml')).toBe(2);
    expect(err).toContain('neither a preset');
    expect(await vqkit('eval', '--run', '/nonexistent/run')).toBe(2);
    expect(err).toContain('config.json does not exist');
    expect(
      await vqkit('train', '--config', 'tiny', '--set', 'model.single.channels=24', '-q'),
    ).toBe(2);
    expect(err).toContain('--allow-unmatched');
  });

  it('exits 2 naming data.train for a missing image folder, leaving no half-made run', async () => {
    const runDir = join(tmpdir(), `vqkit-missing-${process.pid}`);
    expect(
      await vqkit(
        'train',
        '--config',
        'tiny',
        '--set',
        'data.train=/nonexistent/images',
        '--run-dir',
        runDir,
        '-q',
      ),
    ).toBe(2);
    expect(err).toContain('data.train');
    expect(err).toContain('/nonexistent/images');
    expect(existsSync(join(runDir, 'config.json'))).toBe(false);
  });

  it('passes vqkit capacity through to the @vqkit/capacity CLI', async () => {
    expect(await vqkit('capacity', '--json')).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed.single).toMatchObject({
      height: 64,
      width: 64,
      channels: 160,
      codebookSize: 8192,
      codeDim: 8,
    });
    expect(await vqkit('capacity', '--code-dim', 'x')).toBe(2);
    expect(await vqkit('capacity', '--help')).toBe(0);
    expect(out).toContain('--bottom');
  });

  it('vqkit backend says which backend --backend starts and why', async () => {
    expect(await vqkit('backend', '--backend', 'cpu', '--json')).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ name: 'cpu', description: expect.any(String) });
    expect(await vqkit('backend', '--backend', 'metal')).toBe(2);
  });

  it('prints help and version with exit code 0', async () => {
    expect(await vqkit('--help')).toBe(0);
    expect(out).toContain('train');
    expect(out).toContain('eval');
    expect(out).toContain('capacity');
    expect(await vqkit('--version')).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('vqkit train + eval', () => {
  let data: Awaited<ReturnType<typeof makeDataset>>;
  beforeAll(async () => {
    data = await makeDataset();
  });

  it('trains from a JSON config file and evaluates the run', async () => {
    const file = join(data.root, 'cell.json');
    writeFileSync(file, JSON.stringify(tinyConfig(data, { name: undefined })));
    const runDir = join(data.root, 'cli-run');
    const code = await vqkit(
      'train',
      '--config',
      file,
      '--set',
      'train.epochs=1',
      '--run-dir',
      runDir,
      '--backend',
      'cpu',
      '-q',
    );
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out.trim()).toBe(runDir);
    expect(await vqkit('eval', '--run', runDir, '--backend', 'cpu', '-q')).toBe(0);
    expect(out.trim()).toBe(`${runDir}/metrics.json`);
    expect(await vqkit('train', '--config', file, '--run-dir', runDir, '-q')).toBe(2);
    expect(err).toContain('already holds a run');
  });
});
