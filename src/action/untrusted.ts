/**
 * A report read from an untrusted run, prepared for rendering: what can be derived from its measurements is
 * derived again here by this tool's own code, so the comment cannot contradict itself (a "change" that does
 * not match the two sizes shown, a verdict that does not match the checks) and no free text of the report
 * is shown as the tool's own words. Pure.
 */
import { changeBetween } from '../compare/compare.js';
import { verdict } from '../judge/budgets.js';
import { sizeMeaning } from '../pipeline.js';
import type { Report, VariantReport } from '../report/types.js';

export function untrustedReportForComment(report: Report): Report {
  const variants: VariantReport[] = report.variants.map(({ change: _untrusted, ...variant }) => {
    const change = variant.base ? changeBetween(variant.base, variant.head) : undefined;
    return { ...variant, ...(change ? { change } : {}) };
  });
  return {
    ...report,
    engine: { ...report.engine, sizeMeaning: sizeMeaning(report.engine) },
    variants,
    status: verdict(variants, report.budgets),
  };
}
