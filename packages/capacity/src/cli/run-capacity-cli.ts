import { parseArgs } from 'node:util';
import { CapacityError } from '../errors';
import { group } from '../integers';
import { type MatchedPair, matchSingleToHierarchical } from '../match';
import { PAPER_HIERARCHICAL } from '../paper';
import type { SpatialSize } from '../types';

/** Where {@link runCapacityCli} writes; each call receives one complete chunk ending in a newline. */
export interface CliIo {
  stdout(s: string): void;
  stderr(s: string): void;
}

const defaultIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

const P = PAPER_HIERARCHICAL;

/** The `--help` text of `vqkit-capacity`. */
export const CAPACITY_HELP = `Usage: vqkit-capacity [options]

Match a single-level VQ-VAE to a two-level hierarchical one on the paper's budgets:
  eq. 4  Hs·Ws·Cs = Hb·Wb·Ch + Ht·Wt·Ch  with Hs·Ws = Hb·Wb   (continuous latent budget)
  eq. 5  Ks·Ds    = 2·Kh·Dh                                   (discrete codebook budget)
and report both configs' budgets and the index-bit gap (Σ H·W·log2 K).

Hierarchical side (defaults: the paper's configuration):
  --bottom HxW                 bottom latent size Hb×Wb           (default ${P.bottom.height}x${P.bottom.width})
  --top HxW                    top latent size Ht×Wt, coarser      (default ${P.top.height}x${P.top.width})
  --channels N                 encoder width Ch of both levels    (default ${P.channels})
  --codebook-size N            codebook size Kh of each level     (default ${P.codebookSize})
  --code-dim N                 code dimension Dh of each level    (default ${P.codeDim})

Single-level side (optional; at most one):
  --single-code-dim N          fix Ds (Ks follows from eq. 5)     (default Dh)
  --single-codebook-size N     fix Ks (Ds follows from eq. 5)

Matching and output:
  --match kd|bits              kd: eqs. 4-5; bits: eq. 4 + equal index bits per image (default kd)
  --input-size HxW             input image size, to report bits per pixel
  --json                       print one JSON object instead of the table
  -h, --help                   show this help

Exit codes: 0 success, 2 bad input (message on stderr).
Example: vqkit-capacity --bottom 64x64 --top 32x32 --channels 128 --codebook-size 1024 --code-dim 8
`;

class UsageError extends Error {}

function parseInteger(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim())) {
    throw new UsageError(`--${flag} must be a positive integer, got '${value}'.`);
  }
  return Number(value.trim());
}

function parseSize(
  flag: string,
  value: string | undefined,
  fallback?: SpatialSize,
): SpatialSize | undefined {
  if (value === undefined) return fallback;
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(value);
  if (m === null)
    throw new UsageError(`--${flag} must look like HxW (e.g. 64x64), got '${value}'.`);
  return { height: Number(m[1]), width: Number(m[2]) };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

function signed(x: number): string {
  return x > 0 ? `+${group(x)}` : group(x);
}

/** The readable table printed by `vqkit-capacity` without `--json`. */
export function formatMatchedPair(pair: MatchedPair): string {
  const { single: s, hierarchical: h, budgets, gap } = pair;
  const [b, t] = budgets.hierarchical.levels as [
    (typeof budgets.hierarchical.levels)[number],
    (typeof budgets.hierarchical.levels)[number],
  ];
  const sum = (x: number, y: number, total: number) =>
    `${group(x)} + ${group(y)} = ${group(total)}`;
  const rows: string[][] = [
    ['', 'single-level', 'hierarchical (bottom + top)'],
    [
      'latent size H×W',
      `${s.height}x${s.width}`,
      `${h.bottom.height}x${h.bottom.width} + ${h.top.height}x${h.top.width}`,
    ],
    ['channels C', group(s.channels), `${group(h.channels)} per level`],
    ['codebook size K', group(s.codebookSize), `${group(h.codebookSize)} per level`],
    ['code dim D', group(s.codeDim), `${group(h.codeDim)} per level`],
    [
      'continuous H·W·C',
      group(budgets.single.continuous),
      sum(b.continuous, t.continuous, budgets.hierarchical.continuous),
    ],
    [
      'discrete K·D',
      group(budgets.single.discrete),
      sum(b.discrete, t.discrete, budgets.hierarchical.discrete),
    ],
    [
      'index bits / image',
      group(budgets.single.indexBits),
      sum(b.indexBits, t.indexBits, budgets.hierarchical.indexBits),
    ],
  ];
  if (budgets.single.bitsPerPixel !== null && budgets.hierarchical.bitsPerPixel !== null) {
    rows.push([
      'bits / pixel',
      group(budgets.single.bitsPerPixel),
      group(budgets.hierarchical.bitsPerPixel),
    ]);
  }
  const title =
    pair.match === 'kd'
      ? 'Capacity match (eqs. 4–5: equal continuous and discrete budgets)'
      : 'Capacity match (eq. 4 + equal index bits per image)';
  const status = (name: string, diff: number, unit = '') =>
    diff === 0 ? `${name}: equal` : `${name}: hierarchical − single = ${signed(diff)}${unit}`;
  const lines = [
    title,
    '',
    table(rows),
    '',
    status('eq. 4 continuous budget', gap.continuous),
    status('eq. 5 discrete budget', gap.discrete),
    status('index bits per image', gap.indexBits, ' bits'),
  ];
  if (gap.bitsPerPixel !== null) lines.push(status('bits per pixel', gap.bitsPerPixel));
  return `${lines.join('\n')}\n`;
}

/**
 * The `vqkit-capacity` command: parses `argv` (without the node and script paths), matches a single-level
 * config to the hierarchical one described by the flags, and prints a table or, with `--json`, one JSON
 * object `{ match, single, hierarchical, budgets, gap }`. See {@link CAPACITY_HELP} for the flags.
 *
 * @param argv command-line arguments, e.g. `['--codebook-size', '1024', '--json']`.
 * @param io where output goes. @default process.stdout / process.stderr
 * @returns the exit code: 0 on success (and for `--help`), 2 on bad input (message on stderr).
 */
export function runCapacityCli(argv: readonly string[], io: CliIo = defaultIo): number {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        bottom: { type: 'string' },
        top: { type: 'string' },
        channels: { type: 'string' },
        'codebook-size': { type: 'string' },
        'code-dim': { type: 'string' },
        'single-code-dim': { type: 'string' },
        'single-codebook-size': { type: 'string' },
        match: { type: 'string' },
        'input-size': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    io.stderr(
      `vqkit-capacity: ${(error as Error).message}\nRun vqkit-capacity --help for usage.\n`,
    );
    return 2;
  }
  if (values.help === true) {
    io.stdout(CAPACITY_HELP);
    return 0;
  }
  const str = (k: string) => values[k] as string | undefined;
  try {
    const match = str('match');
    if (match !== undefined && match !== 'kd' && match !== 'bits') {
      throw new UsageError(`--match must be 'kd' or 'bits', got '${match}'.`);
    }
    if (str('single-code-dim') !== undefined && str('single-codebook-size') !== undefined) {
      throw new UsageError(
        '--single-code-dim and --single-codebook-size both fix the single-level codebook; give at most one (the other follows from eq. 5).',
      );
    }
    const pair = matchSingleToHierarchical(
      {
        bottom: parseSize('bottom', str('bottom'), P.bottom)!,
        top: parseSize('top', str('top'), P.top)!,
        channels: parseInteger('channels', str('channels'), P.channels),
        codebookSize: parseInteger('codebook-size', str('codebook-size'), P.codebookSize),
        codeDim: parseInteger('code-dim', str('code-dim'), P.codeDim),
      },
      {
        match,
        codeDim:
          str('single-code-dim') === undefined
            ? undefined
            : parseInteger('single-code-dim', str('single-code-dim'), 0),
        codebookSize:
          str('single-codebook-size') === undefined
            ? undefined
            : parseInteger('single-codebook-size', str('single-codebook-size'), 0),
        inputSize: parseSize('input-size', str('input-size')),
      },
    );
    io.stdout(
      values.json === true ? `${JSON.stringify(pair, null, 2)}\n` : formatMatchedPair(pair),
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof CapacityError) {
      io.stderr(`vqkit-capacity: ${error.message}\nRun vqkit-capacity --help for usage.\n`);
      return 2;
    }
    throw error;
  }
}
