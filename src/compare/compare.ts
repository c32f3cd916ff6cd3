/** Comparing measurements: head against base, and multi-stage variants against single-stage ones. Pure. */
import type { Budget } from '../settings/schema.js';
import { splitChange } from './attribution.js';
import type { BuiltResult, Change, LayerChange, SideResult, StageComparison, VariantReport } from '../report/types.js';

/** The change from base to head, when both were built. */
export function changeBetween(base: SideResult | undefined, head: SideResult): Change | undefined {
  if (base?.status !== 'built' || head.status !== 'built') return undefined;
  const sizeBytes = head.sizeBytes - base.sizeBytes;
  const both = <T>(pick: (r: BuiltResult) => T | undefined): [T, T] | undefined => {
    const [b, h] = [pick(base), pick(head)];
    return b === undefined || h === undefined ? undefined : [b, h];
  };
  const compressed = both((r) => r.compressedBytes);
  const wasted = both((r) => r.efficiency?.wastedBytes);
  const split = splitChange(base, head);
  return {
    sizeBytes,
    sizeRatio: base.sizeBytes > 0 ? sizeBytes / base.sizeBytes : undefined,
    ...(compressed
      ? {
          compressedBytes: compressed[1] - compressed[0],
          compressedRatio: compressed[0] > 0 ? (compressed[1] - compressed[0]) / compressed[0] : undefined,
        }
      : {}),
    layers: head.layers - base.layers,
    ...(wasted ? { wastedBytes: wasted[1] - wasted[0] } : {}),
    ...(head.comparableBuildMs !== undefined && base.comparableBuildMs !== undefined
      ? { buildMs: head.comparableBuildMs - base.comparableBuildMs } // build order does not flatter either side
      : head.buildMs !== undefined && base.buildMs !== undefined
        ? { buildMs: head.buildMs - base.buildMs }
        : {}), // a side that was not built (a registry base) has no build time to compare
    ...(split ? { baseImage: split.baseImage, own: split.own } : {}),
  };
}

/**
 * Where it grew: layers of this change whose diff ID the base does not have, and base layers that are gone.
 * A new layer and a gone one with the same instruction are one changed layer. Largest change first.
 */
export function layerChanges(base: SideResult | undefined, head: SideResult): LayerChange[] | undefined {
  if (base?.status !== 'built' || head.status !== 'built' || !base.layerDetails || !head.layerDetails) return undefined;
  const baseIds = new Set(base.layerDetails.map((l) => l.diffId));
  const headIds = new Set(head.layerDetails.map((l) => l.diffId));
  const gone = base.layerDetails.filter((l) => !headIds.has(l.diffId));
  const changes: LayerChange[] = [];
  for (const layer of head.layerDetails.filter((l) => !baseIds.has(l.diffId))) {
    const match = gone.findIndex((g) => g.instruction === layer.instruction);
    const before = match === -1 ? undefined : gone.splice(match, 1)[0];
    changes.push({
      kind: before ? 'changed' : 'added',
      instruction: layer.instruction,
      sizeBytes: layer.sizeBytes - (before?.sizeBytes ?? 0),
      headBytes: layer.sizeBytes,
      ...(layer.compressedBytes !== undefined && (!before || before.compressedBytes !== undefined)
        ? { compressedBytes: layer.compressedBytes - (before?.compressedBytes ?? 0), headCompressedBytes: layer.compressedBytes }
        : {}),
    });
  }
  for (const layer of gone) {
    changes.push({
      kind: 'removed',
      instruction: layer.instruction,
      sizeBytes: -layer.sizeBytes,
      headBytes: 0,
      ...(layer.compressedBytes !== undefined ? { compressedBytes: -layer.compressedBytes, headCompressedBytes: 0 } : {}),
    });
  }
  return changes.sort((a, b) => Math.abs(b.sizeBytes) - Math.abs(a.sizeBytes));
}

/**
 * Which multi-stage rows to hold against which single-stage one: the reference a `max-ratio` budget names (settings
 * resolved it to a row), otherwise the single-stage row of the same platform when there is exactly one: like is
 * compared with like, `multi-stage (linux/arm64)` with `single-stage (linux/arm64)`.
 */
export function stageComparisons(
  variants: Pick<VariantReport, 'name' | 'stages' | 'head' | 'platform'>[],
  budgets: Record<string, Budget>,
): StageComparison[] {
  const byName = new Map(variants.map((v) => [v.name, v]));
  const result: StageComparison[] = [];
  for (const variant of variants) {
    const singles = variants.filter((v) => v.stages === 1 && v.platform === variant.platform);
    const referenceName = budgets[variant.name]?.maxRatio?.of ?? (variant.stages > 1 && singles.length === 1 ? singles[0].name : undefined);
    const reference = referenceName ? byName.get(referenceName) : undefined;
    if (!reference || reference === variant) continue;
    if (variant.head.status !== 'built' || reference.head.status !== 'built' || reference.head.sizeBytes === 0) continue;
    result.push({
      variant: variant.name,
      reference: reference.name,
      ratio: variant.head.sizeBytes / reference.head.sizeBytes,
      savedBytes: reference.head.sizeBytes - variant.head.sizeBytes,
    });
  }
  return result;
}
