/**
 * Workflow annotations on the Dockerfile: which lines get a warning, and what it says. Pure; src/action/annotations.ts
 * reads the Dockerfiles and writes them.
 *
 * Per variant, the instruction whose layer grew most against the base gets one, when that growth is a change beyond
 * the report's `min-change` (compare/noise.ts);
 * and so does each broken budget that this one instruction causes (the budget would hold without its growth). The
 * instruction is found by its text: the layer's instruction (from the image history, build-arg values cut out) must
 * be the text of exactly one layer-making instruction of the built stages, and of exactly one layer of this change's
 * image that is not the base image's. Otherwise (the legacy builder's `COPY file:<hash> in /dest`, an argument
 * expanded from a variable, two identical lines) the variant gets no annotation rather than one on a wrong line.
 * At most MAX_ANNOTATIONS in all (GitHub shows 10 warnings per step): broken budgets first, then the growth.
 */
import { normalizeInstruction, type LocatedInstruction } from '../docker/dockerfile.js';
import { DEFAULT_MIN_CHANGE, isChange, minChangeOf } from '../compare/noise.js';
import type { BudgetCheck, LayerChange, MinChange, Report, VariantReport } from '../report/types.js';
import { describeBreach, formatBytes, formatSignedBytes, formatSignedPercent } from './format.js';

/** GitHub shows at most 10 warning annotations per step. */
export const MAX_ANNOTATIONS = 10;

export interface Annotation {
  /** Path relative to the repository root, with `/`. */
  file: string;
  /** 1-based line. */
  line: number;
  title: string;
  message: string;
}

/** A variant's Dockerfile: where it is in the repository and its layer-making instructions. */
export interface LocatedDockerfile {
  file: string;
  instructions: LocatedInstruction[];
}

/** The annotations of a report, at most `limit`, broken budgets first. */
export function dockerfileAnnotations(
  report: Report,
  dockerfileOf: (variant: VariantReport) => LocatedDockerfile | undefined,
  limit = MAX_ANNOTATIONS,
): Annotation[] {
  const budgets: Annotation[] = [];
  const growth: Annotation[] = [];
  for (const variant of report.variants) {
    const found = largestGrowth(variant, minChangeOf(report));
    if (!found) continue;
    const dockerfile = dockerfileOf(variant);
    const line = dockerfile && locate(found.change, variant, dockerfile.instructions);
    if (!dockerfile || line === undefined) continue;
    const { change, baseBytes, was } = found;
    const at = { file: dockerfile.file, line };
    const adds = formatSignedBytes(found.growth, report.units);
    const what =
      was === undefined
        ? `a new layer of ${formatBytes(change.headBytes, report.units)}`
        : `its layer is ${formatBytes(change.headBytes, report.units)}, ${formatBytes(was, report.units)} in the base`;
    growth.push({
      ...at,
      title: `${variant.name}: ${adds} from this instruction`,
      message:
        `This instruction adds ${adds} to the ${variant.name} image (${what}; ${formatSignedPercent(found.growth / baseBytes)} of the base image's size): ` +
        'its largest growth against the base.',
    });
    for (const check of report.budgets) {
      if (check.variant !== variant.name || check.outcome !== 'fail' || !causedBy(check, variant, change, found.growth)) continue;
      budgets.push({
        ...at,
        title: `${variant.name}: budget ${check.budget} broken by this instruction`,
        message: `${describeBreach(check, report.units)} This instruction adds ${adds}; without it the budget would hold.`,
      });
    }
  }
  return [...budgets, ...growth].slice(0, Math.max(limit, 0));
}

/**
 * The layer change that grew most, when its growth is a change beyond `min` against the variant's base size (a
 * percentage is of the whole base image, as for the size itself). A line that was edited makes
 * a new layer and removes the old one (their instructions differ): an added layer at the same place among the
 * Dockerfile's layers as a removed one of the same keyword (both images with as many) is that line's layer, and its
 * growth is the difference, `was` the old layer's size.
 */
export function largestGrowth(
  variant: VariantReport,
  min: MinChange = DEFAULT_MIN_CHANGE,
): { change: LayerChange; growth: number; was?: number; baseBytes: number } | undefined {
  const { base, head } = variant;
  if (base?.status !== 'built' || head.status !== 'built') return undefined;
  const baseBytes = base.sizeBytes;
  const own = (layers: typeof head.layerDetails) => (layers ?? []).filter((l) => !l.fromBaseImage);
  const [headOwn, baseOwn] = [own(head.layerDetails), own(base.layerDetails)];
  const keyword = (text: string) => text.trim().split(/\s/, 1)[0].toUpperCase();
  const removed = (variant.layerChanges ?? []).filter((c) => c.kind === 'removed');
  let best: { change: LayerChange; growth: number; was?: number } | undefined;
  for (const change of variant.layerChanges ?? []) {
    if (change.kind === 'removed') continue;
    let growth = change.sizeBytes;
    let was: number | undefined = change.kind === 'changed' ? change.headBytes - change.sizeBytes : undefined;
    if (change.kind === 'added' && headOwn.length === baseOwn.length) {
      const at = headOwn.findIndex((l) => l.instruction === change.instruction);
      const old = removed.find((r) => keyword(r.instruction) === keyword(change.instruction) && baseOwn[at]?.instruction === r.instruction);
      if (at !== -1 && old) {
        growth = change.sizeBytes + old.sizeBytes;
        was = -old.sizeBytes;
      }
    }
    if (growth > 0 && (!best || growth > best.growth)) best = { change, growth, was };
  }
  if (!best || baseBytes <= 0 || !isChange(best.growth, baseBytes, min)) return undefined;
  return { ...best, baseBytes };
}

/** The line of the one instruction that made the layer, or undefined when it is not exactly one. */
export function locate(change: LayerChange, variant: VariantReport, instructions: readonly LocatedInstruction[]): number | undefined {
  const text = normalizeInstruction(change.instruction);
  if (!text || variant.head.status !== 'built') return undefined;
  const lines = instructions.filter((i) => i.text === text);
  const layers = (variant.head.layerDetails ?? []).filter((l) => !l.fromBaseImage && normalizeInstruction(l.instruction) === text);
  return lines.length === 1 && layers.length === 1 ? lines[0].line : undefined;
}

/**
 * What a broken budget would measure without the growth of one instruction, for the budgets that growth can break;
 * keyed by budget kind, so that a new size budget is one line here.
 */
type Without = (check: BudgetCheck, variant: VariantReport, change: LayerChange, growth: number) => number | undefined;
const WITHOUT: Partial<Record<string, Without>> = {
  'max-size': (check, _v, _c, growth) => check.actual! - growth,
  'max-increase': increaseWithout,
  'max-own-increase': increaseWithout,
  'max-ratio': (check, variant, _c, growth) => {
    const size = variant.head.status === 'built' ? variant.head.sizeBytes : 0;
    return size > 0 ? (check.actual! * (size - growth)) / size : undefined;
  },
  // A new layer (not an edited line's) is one more layer.
  'max-layers': (check, variant, change) => (change.kind === 'added' && (variant.change?.layers ?? 0) > 0 ? check.actual! - 1 : undefined),
};

function increaseWithout(check: BudgetCheck, variant: VariantReport, _change: LayerChange, growth: number): number | undefined {
  if (check.quantity === 'bytes') return check.actual! - growth;
  const base = variant.base?.status === 'built' ? variant.base.sizeBytes : 0;
  return check.quantity === 'percent' && base > 0 ? check.actual! - (growth / base) * 100 : undefined;
}

/** The broken budget would hold without this one instruction's growth. */
function causedBy(check: BudgetCheck, variant: VariantReport, change: LayerChange, growth: number): boolean {
  if (check.actual === undefined) return false;
  const without = WITHOUT[check.budget]?.(check, variant, change, growth);
  return without !== undefined && without <= check.limit;
}
