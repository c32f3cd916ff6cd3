/** Judging measurements against size budgets, and the run's verdict. Pure. */
import { BUDGET_KEYS, BUDGET_KINDS, budgetKind, READS, type Budget, type Measured, type Reads } from '../settings/budget-kinds.js';
import type { BudgetCheck, Report, StageComparison, VariantReport } from '../report/types.js';

/** Each variant's budget checks, in the order of what they read (`READS`), then in the table's order. */
export function evaluateBudgets(variants: VariantReport[], budgets: Record<string, Budget>, comparisons: StageComparison[]): BudgetCheck[] {
  const checks: BudgetCheck[] = [];
  for (const variant of variants) {
    const budget = (budgets[variant.name] ?? {}) as Record<string, unknown>;
    const head = variant.head.status === 'built' ? variant.head : undefined;
    const skippedNote = head
      ? undefined
      : variant.head.status === 'cancelled'
        ? 'not measured: the run was cancelled'
        : 'not measured: the build failed';
    for (const key of JUDGED) {
      const kind = budgetKind(key);
      const limit = budget[kind.field];
      if (limit === undefined) continue;
      const measured = kind.measure(limit, { variant, head, comparisons });
      const { actual } = measured;
      const broken = actual !== undefined && (kind.floor ? actual < measured.limit : actual > measured.limit);
      const outcome = actual === undefined ? 'skipped' : broken ? 'fail' : 'pass';
      const note = skippedNote ?? kind.unmeasured?.(variant) ?? UNMEASURED[kind.reads](variant, measured);
      checks.push({ variant: variant.name, budget: key, ...measured, outcome, ...(outcome === 'skipped' ? { note } : {}) });
    }
  }
  return checks;
}

/** The kinds in the order a variant's checks come: by what they read, then as the table lists them. */
const JUDGED = READS.flatMap((reads) => BUDGET_KEYS.filter((key) => BUDGET_KINDS[key].reads === reads));

/** Why a check of a built variant found nothing to measure, by what it reads. */
const UNMEASURED: Record<Reads, (variant: VariantReport, measured: Measured) => string | undefined> = {
  image: () => undefined,
  change: (variant) => (variant.base === undefined ? 'no base to compare with' : baseNote(variant)),
  layers: () => 'not measured: the image layers could not be read',
  reference: (_variant, { of }) => `not measured: ${of} was not built`,
};

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
