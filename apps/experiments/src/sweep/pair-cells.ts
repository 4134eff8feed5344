import type { RunConfig } from '../config/schema';
import { bitsPairForSingle, kdPairForSingle, type Pair, withPair } from './pairs';
import type { SweepCell } from './sweep-cell';

/** A single-level cell of the K×D grid or of a Table 1 pair; `prefix` namespaces the id. */
export function singleCell(base: RunConfig, pair: Pair, prefix = ''): SweepCell {
  const { codebookSize: ks, codeDim: ds } = pair.single;
  const id = `${prefix}single-K${ks}-D${ds}`;
  const tags = { study: 'sweep', ...(pair.match === 'bits' ? { match: 'bits' } : {}) };
  const h = pair.hierarchical;
  return {
    id,
    config: withPair(base, id, 'single', pair, tags),
    description: `single-level Ks ${ks}, Ds ${ds} (matched${pair.match === 'bits' ? ' in index bits' : ''} to 2×${h.codebookSize}, Dh ${h.codeDim})${pair.note ? `; ${pair.note}` : ''}`,
  };
}

/** The hierarchical cell of a Table 1 pair; `prefix` namespaces the id. */
export function hierarchicalCell(base: RunConfig, pair: Pair, prefix = ''): SweepCell {
  const { codebookSize: kh, codeDim: dh } = pair.hierarchical;
  const id = `${prefix}hier-K${kh}-D${dh}`;
  const tags = { study: 'sweep', ...(pair.match === 'bits' ? { match: 'bits' } : {}) };
  return {
    id,
    config: withPair(base, id, 'hierarchical', pair, tags),
    description: `hierarchical 2×Kh = 2×${kh}, Dh ${dh} (matched${pair.match === 'bits' ? ' in index bits' : ''} to Ks ${pair.single.codebookSize}, Ds ${pair.single.codeDim})${pair.note ? `; ${pair.note}` : ''}`,
  };
}

/** Table 1's (Ks, Ds) pairs: D = min Ds with every Ks, then Ks = max Ks with every other Ds. */
export function table1Pairs(ks: readonly number[], ds: readonly number[]): [number, number][] {
  const dMin = Math.min(...ds);
  const kMax = Math.max(...ks);
  return [
    ...[...ks].sort((a, b) => a - b).map((k): [number, number] => [k, dMin]),
    ...[...ds]
      .sort((a, b) => a - b)
      .filter((d) => d !== dMin)
      .map((d): [number, number] => [kMax, d]),
  ];
}

/** Figure 2's single-level cells: every Ks × Ds (sorted), each with its eqs. 4–5 pair recorded. */
export function kxdCells(
  base: RunConfig,
  ks: readonly number[],
  ds: readonly number[],
  prefix = '',
): SweepCell[] {
  const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
  return sorted(ks).flatMap((k) =>
    sorted(ds).map((d) => singleCell(base, kdPairForSingle(base, k, d), prefix)),
  );
}

/** Table 1's cells: both architectures of every (Ks, Ds) pair, matched by `match`. */
export function table1Cells(
  base: RunConfig,
  pairs: readonly [number, number][],
  match: 'kd' | 'bits',
  prefix = '',
): SweepCell[] {
  const bits = match === 'bits';
  return pairs.flatMap(([k, d]) => {
    const pair = bits ? bitsPairForSingle(base, k, d) : kdPairForSingle(base, k, d);
    const p = bits ? `${prefix}bits-` : prefix;
    return [singleCell(base, pair, p), hierarchicalCell(base, pair, p)];
  });
}
