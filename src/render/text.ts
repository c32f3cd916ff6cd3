/**
 * The report for a terminal (and the runner log): the same table as the comment, in plain text. Untrusted
 * text is kept on its line and stripped of escape sequences and control characters. Pure.
 */
import { markdownTable } from 'markdown-table';
import type { Report } from '../report/types.js';
import { plainLines, plainText } from './escape.js';
import { describeBreach, describeCancel, uncompressedPushNote, unitsNote } from './format.js';
import { baseSourceNotes, budgetRows, comparisonSentences, failedVariants, growthRows, mainTable } from './table.js';

const TEXT_STATE = { failed: 'BUILD FAILED', broken: 'OVER BUDGET', cancelled: 'NOT MEASURED' } as const;

export function renderText(report: Report, headLabel = 'Current'): string {
  const plain = (s: string) => plainText(s, 300);
  const table = mainTable(report, {
    variant: (name, state) => (state === 'ok' ? name : `${name} (${TEXT_STATE[state]})`),
    text: plain,
    headLabel,
  });
  const out = [markdownTable([table.header, ...table.rows], { align: table.align }), ''];
  out.push(...comparisonSentences(report, { text: plain, strong: (s) => s }));
  for (const growth of growthRows(report, { text: plain, code: plain }, 5)) {
    out.push('', `${growth.variant}: layers new or changed against the base`);
    out.push(...growth.rows.map(([kind, instruction, change]) => `  ${change.padStart(10)}  ${kind.padEnd(7)}  ${instruction}`));
    if (growth.more) out.push(`  …and ${growth.more} more in the JSON report`);
    if (growth.sameSizeText) out.push(`  ${growth.sameSizeText}`);
  }
  if (report.budgets.length) {
    out.push('', markdownTable([['Variant', 'Budget', 'Limit', 'Measured', 'Result'], ...budgetRows(report, { text: plain })]));
  }
  for (const variant of failedVariants(report)) {
    const step = variant.head.failedStep ? ` at ${plain(variant.head.failedStep)}` : '';
    out.push('', `${plain(variant.name)} failed to build${step}: ${plainText(variant.head.error, 1000)}`);
    out.push(...plainLines(variant.head.log).map((line) => `  | ${line}`));
  }
  for (const check of report.budgets.filter((c) => c.outcome === 'fail')) out.push('', plainText(describeBreach(check, report.units)));
  if (report.base.error) out.push('', `No comparison: ${plainText(report.base.error, 1000)}`);
  const rebuilt = `rebuilt from ${report.base.ref ? `${plain(report.base.ref)} at ` : ''}${report.base.sha ? report.base.sha.slice(0, 7) : 'an unknown commit'}`;
  const bases = baseSourceNotes(report, { text: plain, code: plain }, rebuilt);
  if (bases.length) out.push('', ...bases.map((note) => `Base of ${note}`));
  const cancel = describeCancel(report);
  if (cancel) out.push('', cancel);
  out.push('', `Size: ${plain(report.engine.sizeMeaning)}, in ${unitsNote(report.units)}.`);
  const uncompressed = uncompressedPushNote(report);
  if (uncompressed) out.push(`${uncompressed}.`);
  out.push(`Result: ${report.status.toUpperCase()}`);
  return out.join('\n') + '\n';
}
