import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { runtimeError } from '../config/errors';
import { isInside } from '../config/safe-path';
import type { FinishedRun } from './collect';
import { svgToPng, wrap } from './plots';

/** One column of Figure 3: a heading (one or two lines) and one image per row. */
export interface GridColumn {
  heading: string[];
  /** Absolute image paths, one per row. */
  images: string[];
}

/** Layout of a composed grid. */
export interface GridLayout {
  width: number;
  height: number;
  rows: number;
  columns: number;
  /** Side of each square tile in the PNG, in pixels. */
  tile: number;
}

const GAP = 4;
const HEADER = 40;
/** Height of one caption line above the column headings. */
const CAPTION_LINE = 16;

function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Tile side: the image side scaled by an integer to at least 96 px (pixel-exact), or down to 256 px. */
export function tileSide(imageSide: number): number {
  if (imageSide > 256) return 256;
  return imageSide * Math.max(1, Math.ceil(96 / imageSide));
}

/**
 * Composes an image grid with sharp: one column per entry (the first is usually the originals), one
 * row per image, each column headed by its label rendered from SVG with resvg. Small images are
 * enlarged by an integer factor with nearest-neighbour sampling so pixels stay visible.
 *
 * @throws ExperimentsError (exit 1) naming the file when an image cannot be read.
 */
export async function composeGrid(
  columns: readonly GridColumn[],
  out: string,
  caption: readonly string[] = [],
): Promise<GridLayout> {
  const rows = Math.min(...columns.map((c) => c.images.length));
  if (columns.length === 0 || rows === 0) {
    throw runtimeError('report: Figure 3 needs at least one column with at least one image.');
  }
  const first = await sharp(columns[0]!.images[0]!).metadata();
  const side = Math.max(first.width ?? 64, first.height ?? 64);
  const tile = tileSide(side);
  const width = columns.length * tile + (columns.length + 1) * GAP;
  const captionLines = caption.flatMap((line) => wrap(line, Math.max(20, Math.floor(width / 6.6))));
  const top = captionLines.length * CAPTION_LINE;
  const header = HEADER + top;
  const height = header + rows * tile + (rows + 1) * GAP;
  const captionSvg = captionLines
    .map(
      (line, j) =>
        `<text x="${GAP}" y="${13 + j * CAPTION_LINE}" font-family="DejaVu Sans, sans-serif" font-size="11" fill="#333">${escapeXml(line)}</text>`,
    )
    .join('');
  const texts = columns
    .map((c, i) => {
      const cx = GAP + i * (tile + GAP) + tile / 2;
      const size = tile < 120 ? 10 : 12;
      return c.heading
        .slice(0, 2)
        .map(
          (line, j) =>
            `<text x="${cx}" y="${top + 16 + j * 15}" font-family="DejaVu Sans, sans-serif" font-size="${size}" text-anchor="middle" fill="#111">${escapeXml(line)}</text>`,
        )
        .join('');
    })
    .join('');
  const headerSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${header}"><rect width="100%" height="100%" fill="white"/>${captionSvg}${texts}</svg>`;
  const composites: sharp.OverlayOptions[] = [{ input: svgToPng(headerSvg, 1), left: 0, top: 0 }];
  for (const [i, column] of columns.entries()) {
    for (let r = 0; r < rows; r++) {
      const path = column.images[r]!;
      let input: Buffer;
      try {
        const meta = await sharp(path).metadata();
        const enlarge = (meta.width ?? tile) <= tile;
        input = await sharp(path)
          .removeAlpha()
          .resize(tile, tile, { fit: 'fill', kernel: enlarge ? 'nearest' : 'lanczos3' })
          .png()
          .toBuffer();
      } catch (error) {
        throw runtimeError(
          `report: cannot read sample image ${path} for Figure 3: ${(error as Error).message}`,
          error,
        );
      }
      composites.push({
        input,
        left: GAP + i * (tile + GAP),
        top: header + GAP + r * (tile + GAP),
      });
    }
  }
  await sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(composites)
    .png()
    .toFile(out);
  return { width, height, rows, columns: columns.length, tile };
}

/**
 * The absolute paths of a run's sample images (`metrics.json` `samples.originals` or
 * `samples.reconstructions`), or null when any would lie outside the run directory (a crafted
 * metrics.json must never make the report read other files).
 */
export function samplePaths(
  run: FinishedRun,
  which: 'originals' | 'reconstructions',
): string[] | null {
  const paths = run.metrics.samples[which].map((p) => resolve(run.dir, p));
  return paths.every((p) => isInside(run.dir, p)) ? paths : null;
}

/** SHA-1 of the decoded pixels of a run's first `rows` originals (null when any is missing). */
export async function originalsFingerprint(run: FinishedRun, rows: number): Promise<string | null> {
  const paths = samplePaths(run, 'originals')?.slice(0, rows) ?? [];
  if (paths.length === 0 || paths.some((p) => !existsSync(p))) return null;
  const hash = createHash('sha1');
  for (const p of paths) {
    try {
      const { data, info } = await sharp(p)
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      hash.update(`${info.width}x${info.height}x${info.channels};`);
      hash.update(data);
    } catch {
      return null;
    }
  }
  return hash.digest('hex');
}
