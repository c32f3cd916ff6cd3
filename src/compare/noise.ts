/**
 * Signal over noise: what counts as a change. A figure (size, compressed size, layer count, wasted space, the
 * base image's and the Dockerfile's part of the size) changed when it moved by more than `min-change`: a size
 * (`1kB`), or a percentage of the figure on the base side (`0.1%`, the default; for the two parts of the size, of
 * the whole image), never less than 512 bytes (one
 * tar block: a rebuilt layer's headers and gzip's framing move by that much with nothing changed). A layer
 * count changed when it differs at all. Build time is not a figure here: it moves on every run. Pure.
 */
import type { LayerChange, MinChange, Report, VariantReport } from '../report/types.js';

export const DEFAULT_MIN_CHANGE: MinChange = { kind: 'percent', value: 0.1 };
/** The least a percentage tolerance allows: one 512-byte tar block. */
export const NOISE_FLOOR_BYTES = 512;

/** The min-change a report was judged with (older reports: the default). */
export function minChangeOf(report: Pick<Report, 'minChange'>): MinChange {
  return report.minChange ?? DEFAULT_MIN_CHANGE;
}

/** How far a figure may move and still count as the same: in bytes, for a figure that was `baseValue` on the base. */
export function tolerance(baseValue: number, min: MinChange): number {
  if (min.kind === 'bytes') return min.value;
  return Math.max(NOISE_FLOOR_BYTES, (Math.abs(baseValue) * min.value) / 100);
}

/** Whether a move of `delta` from `baseValue` is a change (strictly more than the tolerance). */
export function isChange(delta: number, baseValue: number, min: MinChange): boolean {
  return Math.abs(delta) > tolerance(baseValue, min);
}

/**
 * A layer rebuilt with the same size: a changed layer (new diff ID, same instruction) whose unpacked and
 * compressed sizes both stayed within the tolerance of its size on the base. New and removed layers are never
 * noise: they change the layer count.
 */
export function isSameSizeRebuild(layer: LayerChange, min: MinChange): boolean {
  if (layer.kind !== 'changed') return false;
  if (isChange(layer.sizeBytes, layer.headBytes - layer.sizeBytes, min)) return false;
  if (layer.compressedBytes === undefined) return true;
  const before =
    layer.headCompressedBytes !== undefined ? layer.headCompressedBytes - layer.compressedBytes : layer.headBytes - layer.sizeBytes;
  return !isChange(layer.compressedBytes, before, min);
}

export type Figure = 'size' | 'compressed' | 'layers' | 'wasted' | 'base image' | 'own layers';

/** A figure that changed by more than min-change: which, by how much (bytes, or layers for `layers`). */
export interface ChangedFigure {
  figure: Figure;
  delta: number;
}

/** The figures of a variant that changed by more than min-change; empty when it has no comparison. */
export function changedFigures(variant: Pick<VariantReport, 'base' | 'head' | 'change'>, min: MinChange): ChangedFigure[] {
  const { base, head, change } = variant;
  if (!change || base?.status !== 'built' || head.status !== 'built') return [];
  const found: ChangedFigure[] = [];
  const check = (figure: Figure, delta: number | undefined, baseValue: number | undefined) => {
    if (delta !== undefined && isChange(delta, baseValue ?? 0, min)) found.push({ figure, delta });
  };
  check('size', change.sizeBytes, base.sizeBytes);
  check('compressed', change.compressedBytes, base.compressedBytes);
  if (change.layers !== 0) found.push({ figure: 'layers', delta: change.layers });
  check('wasted', change.wastedBytes, base.efficiency?.wastedBytes);
  // The two parts of the size are held against the whole image, as max-own-increase's percentage is.
  check('base image', change.baseImage?.sizeBytes, base.sizeBytes);
  check('own layers', change.own?.sizeBytes, base.sizeBytes);
  return found;
}

/** Both sides built and no figure changed by more than min-change: the variant collapses to one row. */
export function isUnchanged(variant: Pick<VariantReport, 'base' | 'head' | 'change'>, min: MinChange): boolean {
  return (
    variant.change !== undefined &&
    variant.base?.status === 'built' &&
    variant.head.status === 'built' &&
    changedFigures(variant, min).length === 0
  );
}
