import { describe, expect, it } from 'vitest';
import { CAPACITY_HELP, runCapacityCli } from './index';

function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = runCapacityCli(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe('runCapacityCli', () => {
  it('prints a readable table for the paper configuration by default', () => {
    const { code, stdout, stderr } = run([]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/channels C\s+160\s+128 per level/);
    expect(stdout).toMatch(/codebook size K\s+8,192\s+4,096 per level/);
    expect(stdout).toMatch(/continuous H·W·C\s+655,360\s+524,288 \+ 131,072 = 655,360/);
    expect(stdout).toContain('index bits per image: hierarchical − single = +8,192 bits');
  });

  it('--input-size smaller than the latents is bad input (exit 2), not 8,192 bits per pixel', () => {
    const { code, stdout, stderr } = run(['--input-size', '1x1']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/inputSize 1×1 is smaller than the 64×64 latent grid/);
  });

  it('--json prints one object with the required shape', () => {
    const { code, stdout } = run([
      '--bottom',
      '64x64',
      '--top',
      '32x32',
      '--channels',
      '128',
      '--codebook-size',
      '1024',
      '--code-dim',
      '8',
      '--input-size',
      '256x256',
      '--json',
    ]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.single).toEqual({
      height: 64,
      width: 64,
      channels: 160,
      codebookSize: 2048,
      codeDim: 8,
    });
    expect(out.hierarchical).toEqual({
      bottom: { height: 64, width: 64 },
      top: { height: 32, width: 32 },
      channels: 128,
      codebookSize: 1024,
      codeDim: 8,
    });
    expect(out.budgets.single.indexBits).toBe(45_056);
    expect(out.budgets.hierarchical.indexBits).toBe(51_200);
    expect(out.budgets.hierarchical.levels).toHaveLength(2);
    expect(out.gap.indexBits).toBe(6144);
    expect(out.budgets.single.bitsPerPixel).toBe(45_056 / 65_536);
    expect(out.match).toBe('kd');
  });

  it('supports --single-code-dim, --single-codebook-size and --match bits', () => {
    expect(JSON.parse(run(['--single-code-dim', '16', '--json']).stdout).single.codebookSize).toBe(
      4096,
    );
    expect(
      JSON.parse(run(['--single-codebook-size', '2048', '--json']).stdout).single.codeDim,
    ).toBe(32);
    const bits = JSON.parse(run(['--match', 'bits', '--json']).stdout);
    expect(bits.single.codebookSize).toBe(32_768);
    expect(bits.gap.indexBits).toBe(0);
    expect(run(['--match', 'bits']).stdout).toContain('index bits per image: equal');
  });

  it('prints help with every flag and exits 0', () => {
    const { code, stdout } = run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toBe(CAPACITY_HELP);
    for (const flag of [
      '--bottom',
      '--top',
      '--channels',
      '--codebook-size',
      '--code-dim',
      '--single-code-dim',
      '--single-codebook-size',
      '--match',
      '--json',
    ])
      expect(stdout).toContain(flag);
    expect(run(['-h']).code).toBe(0);
  });

  it.each([
    [['--bottom', '64'], /--bottom must look like HxW/],
    [['--channels', 'abc'], /--channels must be a positive integer, got 'abc'/],
    [['--channels', '0'], /channels must be a positive integer, got 0/],
    [['--match', 'entropy'], /--match must be 'kd' or 'bits'/],
    [['--single-code-dim', '8', '--single-codebook-size', '8192'], /give at most one/],
    [['--top', '64x64'], /not coarser/],
    [
      ['--bottom', '2x2', '--top', '1x1', '--channels', '6'],
      /would be 7\.5.*channels 4 → singleChannels 5/,
    ],
    [['--single-code-dim', '7'], /Nearest valid: singleCodeDim 4/],
    [['--match', 'bits', '--codebook-size', '1024'], /perfect 4th power/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['extra'], /positional/i],
  ])('exits 2 with the message on stderr for %j', (argv, message) => {
    const { code, stdout, stderr } = run(argv as string[]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).toContain('--help');
  });
});
