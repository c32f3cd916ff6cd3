/** Comparing measurements: head against base, and multi-stage variants against single-stage ones. Pure. */
import type { Budget } from '../settings/schema.js';
import type { Change, SideResult, StageComparison, VariantReport } from '../report/types.js';

/** The change from base to head, when both were built. */
export function changeBetween(base: SideResult | undefined, head: SideResult): Change | undefined {
  if (base?.status !== 'built' || head.status !== 'built') return undefined;
  const sizeBytes = head.sizeBytes - base.sizeBytes;
  return {
    sizeBytes,
    sizeRatio: base.sizeBytes > 0 ? sizeBytes / base.sizeBytes : undefined,
    layers: head.layers - base.layers,
    buildMs:
      head.comparableBuildMs !== undefined && base.comparableBuildMs !== undefined
        ? head.comparableBuildMs - base.comparableBuildMs // build order does not flatter either side
        : head.buildMs - base.buildMs,
  };
}

/**
 * Which multi-stage variants to hold against which single-stage one: the reference a `max-ratio` budget
 * names, otherwise the single-stage variant when there is exactly one.
 */
export function stageComparisons(
  variants: Pick<VariantReport, 'name' | 'stages' | 'head'>[],
  budgets: Record<string, Budget>,
): StageComparison[] {
  const byName = new Map(variants.map((v) => [v.name, v]));
  const singles = variants.filter((v) => v.stages === 1);
  const result: StageComparison[] = [];
  for (const variant of variants) {
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
