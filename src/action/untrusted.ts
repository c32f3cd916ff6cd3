/**
 * A report read from an untrusted run, prepared for rendering: what can be derived from its measurements is
 * derived again here by this tool's own code, so the comment cannot contradict itself (a change, or a "where
 * it grew" list, that does not match the sizes and layers shown; a verdict that does not match the checks)
 * and no free text of the report is shown as the tool's own words. Pure.
 */
import { changeBetween, layerChanges } from '../compare/compare.js';
import { verdict } from '../judge/budgets.js';
import { sizeMeaning } from '../measure/image/push-sizing.js';
import type { Report, VariantReport } from '../report/types.js';

export function untrustedReportForComment(report: Report): Report {
  const variants: VariantReport[] = report.variants.map(({ change: _change, layerChanges: _layerChanges, ...variant }) => {
    const change = variant.base ? changeBetween(variant.base, variant.head) : undefined;
    const grew = variant.base ? layerChanges(variant.base, variant.head) : undefined;
    return { ...variant, ...(change ? { change } : {}), ...(grew ? { layerChanges: grew } : {}) };
  });
  return {
    ...report,
    engine: { ...report.engine, sizeMeaning: sizeMeaning(report.engine) },
    variants,
    status: report.cancelled ? 'cancelled' : verdict(variants, report.budgets),
  };
}
