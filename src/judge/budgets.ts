/** Judging measurements against size budgets, and the run's verdict. Pure. */
import type { Budget } from '../settings/schema.js';
import type { BudgetCheck, Report, StageComparison, VariantReport } from '../report/types.js';

export function evaluateBudgets(
  variants: VariantReport[],
  budgets: Record<string, Budget>,
  comparisons: StageComparison[],
): BudgetCheck[] {
  const checks: BudgetCheck[] = [];
  for (const variant of variants) {
    const budget = budgets[variant.name] ?? {};
    const head = variant.head.status === 'built' ? variant.head : undefined;
    const skippedNote = head ? undefined : variant.head.status === 'cancelled' ? 'not measured: the run was cancelled' : 'not measured: the build failed';
    /** `floor`: the measured value must not be under the limit (min-efficiency) rather than over it. */
    const check = (partial: Omit<BudgetCheck, 'variant' | 'outcome'>, note = skippedNote, floor = false) => {
      const broken = partial.actual !== undefined && (floor ? partial.actual < partial.limit : partial.actual > partial.limit);
      const outcome = partial.actual === undefined ? 'skipped' : broken ? 'fail' : 'pass';
      checks.push({ variant: variant.name, ...partial, outcome, ...(outcome === 'skipped' ? { note } : {}) });
    };
    if (budget.maxSize !== undefined) {
      check({ budget: 'max-size', quantity: 'bytes', limit: budget.maxSize, actual: head?.sizeBytes });
    }
    if (budget.maxLayers !== undefined) {
      check({ budget: 'max-layers', quantity: 'count', limit: budget.maxLayers, actual: head?.layers });
    }
    if (budget.maxBuildTimeMs !== undefined) {
      check({ budget: 'max-build-time', quantity: 'ms', limit: budget.maxBuildTimeMs, actual: head ? (head.comparableBuildMs ?? head.buildMs) : undefined });
    }
    if (budget.maxIncrease !== undefined) {
      const change = variant.change;
      const note = skippedNote ?? (variant.base === undefined ? 'no base to compare with' : baseNote(variant));
      if (budget.maxIncrease.kind === 'bytes') {
        check({ budget: 'max-increase', quantity: 'bytes', limit: budget.maxIncrease.bytes, actual: change?.sizeBytes }, note);
      } else {
        const percent = change?.sizeRatio === undefined ? undefined : change.sizeRatio * 100;
        check({ budget: 'max-increase', quantity: 'percent', limit: budget.maxIncrease.percent, actual: percent }, note);
      }
    }
    const efficiencyNote = skippedNote ?? 'not measured: the image layers could not be read';
    if (budget.minEfficiency !== undefined) {
      const actual = head?.efficiency?.score;
      check({ budget: 'min-efficiency', quantity: 'score', limit: budget.minEfficiency, actual }, efficiencyNote, true);
    }
    if (budget.maxWasted !== undefined) {
      const actual = head?.efficiency?.wastedBytes;
      check({ budget: 'max-wasted', quantity: 'bytes', limit: budget.maxWasted, actual }, efficiencyNote);
    }
    if (budget.maxRatio !== undefined) {
      const { of, fraction } = budget.maxRatio;
      const comparison = comparisons.find((c) => c.variant === variant.name && c.reference === of);
      check(
        { budget: 'max-ratio', quantity: 'ratio', limit: fraction, actual: comparison?.ratio, of },
        skippedNote ?? `not measured: ${of} was not built`,
      );
    }
  }
  return checks;
}

function baseNote(variant: VariantReport): string {
  const base = variant.base;
  if (base?.status === 'absent') return `not in the base: ${base.reason}`;
  if (base?.status === 'failed') return 'the base build failed';
  if (base?.status === 'cancelled') return 'the base was not measured: the run was cancelled';
  return 'no base to compare with';
}

/**
 * Whether the step (or the command) fails: a failed build always does; a broken budget does when
 * fail-on-budget is on. The verdict itself stays `fail` either way.
 */
export function failsRun(report: Pick<Report, 'variants' | 'budgets'>, failOnBudget: boolean): boolean {
  const buildFailed = report.variants.some((v) => v.head.status !== 'built');
  return buildFailed || (failOnBudget && report.budgets.some((c) => c.outcome === 'fail'));
}

/** A run fails when a variant of this change failed to build or a budget is broken. */
export function verdict(variants: VariantReport[], checks: BudgetCheck[]): 'pass' | 'fail' {
  const buildFailed = variants.some((v) => v.head.status !== 'built');
  return buildFailed || checks.some((c) => c.outcome === 'fail') ? 'fail' : 'pass';
}
