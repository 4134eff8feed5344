import {
  FAMILY_MATCH_DEFAULTS,
  type FamilyMatch,
  type FamilyMatches,
  matchFamiliesToHierarchical,
} from '@vqkit/capacity';
import {
  fsqQuantizerSchema,
  lfqQuantizerSchema,
  type QuantizerConfig,
  type QuantizerKind,
  residualQuantizerSchema,
  vqOptionsOf,
} from '../config/quantizer-schema';
import { resolveConfig } from '../config/resolve';
import type { RunConfig } from '../config/schema';
import { capacityFailure, kdPairForSingle, type Pair, withPair } from './pairs';
import type { SweepCell } from './sweep-cell';

/**
 * Defaults of the families grid (`vqkit sweep --grid families`), vqkit choices: the residual
 * quantizer is matched at @vqkit/capacity's default depth against a single level (2, the smallest
 * depth that is residual; keeping the pair's Kh would need depth (Hb·Wb + Ht·Wt)/(Hb·Wb) = 1.25,
 * i.e. one stage); FSQ levels per dimension are the capacity package's defaults (5 to 8, the FSQ
 * paper's level sets).
 */
export const FAMILIES_GRID = Object.freeze({
  residualDepth: FAMILY_MATCH_DEFAULTS.residualDepth,
  kinds: ['vq', 'residual', 'fsq', 'lfq'] as const satisfies readonly QuantizerKind[],
});

/** Options of {@link familiesCells}. */
export interface FamiliesOptions {
  /** The Table 1 pair (Ks, Ds) whose capacity every family is matched to. @default the base config's model.single */
  pair?: readonly [number, number];
}

/** A family's section: the base's own options when the base is that family, else its defaults (residual: the base's VQ options). */
function familySection(base: QuantizerConfig, match: FamilyMatches, kind: QuantizerKind) {
  const own = base.kind === kind ? base : {};
  switch (kind) {
    case 'vq':
      return vqOptionsOf(base);
    case 'residual':
      return residualQuantizerSchema.parse({
        ...vqOptionsOf(base),
        ...own,
        kind,
        depth: match.residual.config.depth,
      });
    case 'fsq':
      return fsqQuantizerSchema.parse({ ...own, kind, levels: match.fsq.config.levels });
    case 'lfq':
      return lfqQuantizerSchema.parse({ ...own, kind });
  }
}

/** K and D of the single-level model that carries a family's match (D = the pair's Ds for codebooks), its id part and its name. */
function familyShape(
  m: FamilyMatch,
  ds: number,
): { codebookSize: number; codeDim: number; label: string; what: string } {
  const c = m.config;
  switch (c.kind) {
    case 'vq': {
      const k = c.codebookSize;
      return { codebookSize: k, codeDim: ds, label: `vq-K${k}-D${ds}`, what: `VQ K ${k}, D ${ds}` };
    }
    case 'residual': {
      const k = c.codebookSize;
      const label = `residual-${c.depth}xK${k}-D${ds}`;
      return {
        codebookSize: k,
        codeDim: ds,
        label,
        what: `residual ${c.depth} stages × K ${k}, D ${ds}`,
      };
    }
    case 'fsq': {
      const k = c.levels.reduce((a, b) => a * b, 1);
      const levels = c.levels.join('×');
      const what = `FSQ levels ${levels} (K ${k}, D ${c.levels.length})`;
      return {
        codebookSize: k,
        codeDim: c.levels.length,
        label: `fsq-L${c.levels.join('x')}`,
        what,
      };
    }
    case 'lfq': {
      const k = 2 ** c.codeDim;
      const what = `LFQ D ${c.codeDim} (K ${k})`;
      return { codebookSize: k, codeDim: c.codeDim, label: `lfq-D${c.codeDim}`, what };
    }
  }
}

const bits = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** A gap in bits, never rounded to 0: one decimal from 1 bit up, two significant digits below. */
export function gapBits(n: number): string {
  const a = Math.abs(n);
  return a >= 1 || a === 0 ? bits(Math.round(a * 10) / 10) : a.toPrecision(2);
}

/** `exactly 2,240 bits per image` or `2,238.2 bits per image, 1.8 fewer than the pair's 2,240 (not exact)`. */
function gapText(m: FamilyMatch, target: number): string {
  if (m.exact) return `exactly the pair's ${bits(target)} index bits per image`;
  const g = m.gapBitsPerImage;
  return `${bits(m.bitsPerImage)} index bits per image, ${gapBits(g)} ${g > 0 ? 'fewer' : 'more'} than the pair's ${bits(target)} (no exact match: run with this gap)`;
}

/** One single-level family cell matched to `pair`'s hierarchical side. */
function familyCell(
  base: RunConfig,
  pair: Pair,
  matches: FamilyMatches,
  kind: QuantizerKind,
  tags: Record<string, string>,
): SweepCell {
  const m = matches[kind];
  const shape = familyShape(m, pair.single.codeDim);
  const id = `families-single-${shape.label}`;
  const config = withPair(base, id, 'single', pair, { ...tags, family: kind, role: 'family' });
  config.model.single = {
    ...config.model.single,
    codebookSize: shape.codebookSize,
    codeDim: shape.codeDim,
  };
  config.model.match = 'bits';
  config.quantizer = familySection(base.quantizer, matches, kind);
  config.allowUnmatched = !m.exact;
  const h = pair.hierarchical;
  return {
    id,
    config: resolveConfig(config),
    description: `single-level ${shape.what} at the capacity of 2×Kh ${h.codebookSize}, Dh ${h.codeDim}: ${gapText(m, matches.target.bitsPerImage)}`,
  };
}

/**
 * `vqkit sweep --grid families`: at the capacity of one Table 1 pair — (Ks, Ds) ↔ 2×Ks/2 at
 * Dh = Ds, eqs. 4–5, on the base config's latent sizes — the hierarchical VQ side (the reference)
 * and the single-level model with each quantizer family (VQ, residual, FSQ, LFQ), each matched to
 * the hierarchical side's index bits per image by @vqkit/capacity (`matchFamiliesToHierarchical`;
 * eq. 4 holds throughout). A family that cannot match exactly is run with its gap in bits per
 * image stated (description, metrics.json `matched`), `allowUnmatched` set — never rounded silently.
 */
export function familiesCells(base: RunConfig, options: FamiliesOptions = {}): SweepCell[] {
  const [ks, ds] = options.pair ?? [base.model.single.codebookSize, base.model.single.codeDim];
  const pair = kdPairForSingle(base, ks, ds);
  let matches: FamilyMatches;
  try {
    matches = matchFamiliesToHierarchical(pair.hierarchical, {
      residual: { depth: FAMILIES_GRID.residualDepth },
    });
  } catch (error) {
    return capacityFailure(`families-K${ks}-D${ds}`, error);
  }
  const tags = { study: 'families', pair: `K${ks}-D${ds}` };
  const h = pair.hierarchical;
  const refId = `families-hier-vq-K${h.codebookSize}-D${h.codeDim}`;
  const reference: SweepCell = {
    id: refId,
    config: withPair(base, refId, 'hierarchical', pair, {
      ...tags,
      family: 'vq',
      role: 'reference',
    }),
    description: `hierarchical VQ 2×Kh ${h.codebookSize}, Dh ${h.codeDim} (the reference: Table 1's pair of Ks ${ks}, Ds ${ds}; ${bits(matches.target.bitsPerImage)} index bits per image)`,
  };
  return [
    reference,
    ...FAMILIES_GRID.kinds.map((kind) => familyCell(base, pair, matches, kind, tags)),
  ];
}
