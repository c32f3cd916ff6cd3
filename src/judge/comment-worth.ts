/**
 * `comment: changed`: whether a run has something worth a NEW pull-request comment. It has when a build of
 * this change failed, a budget is broken, a variant is new (absent on the base), its base build failed (no
 * comparison, so no telling it is unchanged), or some figure changed by more than `min-change`
 * (compare/noise.ts). An existing comment is updated whatever this says, so it never shows stale numbers. Pure.
 */
import { changedFigures, minChangeOf, type ChangedFigure } from '../compare/noise.js';
import { describeMinChange, formatSignedBytes, formatSignedCount } from '../render/format.js';
import type { Report } from '../report/types.js';

export interface CommentWorth {
  worth: boolean;
  /** Why, one short sentence each (for the log); empty when not worth it. */
  reasons: string[];
}

export function newCommentWorth(report: Report): CommentWorth {
  const min = minChangeOf(report);
  const reasons: string[] = [];
  for (const variant of report.variants) {
    if (variant.head.status === 'failed') reasons.push(`${variant.name} failed to build`);
    else if (variant.base?.status === 'absent' && !report.base.error) reasons.push(`${variant.name} is new (not in the base)`);
    else if (variant.base?.status === 'failed') reasons.push(`the base build of ${variant.name} failed, so it has no comparison`);
    const figures = changedFigures(variant, min);
    if (figures.length) reasons.push(`${variant.name}: ${figures.map((f) => describeFigure(f, report.units)).join(', ')}`);
  }
  const broken = report.budgets.filter((c) => c.outcome === 'fail').length;
  if (broken) reasons.push(`${broken} budget${broken > 1 ? 's' : ''} broken`);
  return { worth: reasons.length > 0, reasons };
}

function describeFigure(figure: ChangedFigure, units: Report['units']): string {
  return figure.figure === 'layers'
    ? `layers ${formatSignedCount(figure.delta)}`
    : `${figure.figure} ${formatSignedBytes(figure.delta, units)}`;
}

/**
 * For the `comment` setting and the reports of one comment (one, or a matrix's several): undefined when the comment
 * is to be created or updated as usual; with `changed` and nothing worth a new comment in any report, `updateOnly`
 * (github/post-comment.ts) with the reason, for the log. `worth`: with `changed`, why a new comment may be posted.
 */
export function commentPlan(setting: boolean | 'auto' | 'changed', reports: Report[]): { updateOnly?: { why: string }; worth?: string } {
  if (setting !== 'changed') return {};
  const reasons = reports.flatMap((report) => newCommentWorth(report).reasons);
  if (reasons.length) return { worth: `comment: changed, and ${reasons.join('; ')}` };
  const mins = [...new Set(reports.map((report) => describeMinChange(minChangeOf(report), report.units)))];
  const min = mins.length ? mins.join(' or ') : describeMinChange(minChangeOf({}), 'decimal');
  return {
    updateOnly: {
      why: `comment: changed, and no figure changed by more than ${min} (min-change), no budget is broken and no build failed`,
    },
  };
}
