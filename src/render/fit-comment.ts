/**
 * Fitting the comment into a length (GitHub's 65,536 characters for a comment, 1 MiB for a job summary): the
 * order in which detail is given up, and the search for the most detail that fits. The writing at each level of
 * detail is markdown-sections.ts's. Pure.
 */
import type { Report } from '../report/types.js';
import { bareLines, FULL_DETAIL, problemVariants, writeMarkdown, type Detail, type WriteOptions } from './markdown-sections.js';

/**
 * The comment written with as much detail as fits in `maxLength` (as `measure` counts): first the steps of
 * DETAIL_STEPS (long lists and logs shortened, then the chart, then sections and tables), then rows of variants that passed, then the failed builds' sections, then rows of failing
 * variants; the bare verdict as the last resort. A report that fits at FULL_DETAIL is written as it is.
 */
export function fitComment(report: Report, options: WriteOptions, maxLength: number, measure: (text: string) => number): string {
  let detail = FULL_DETAIL;
  let body = writeMarkdown(report, options, detail);
  for (const step of DETAIL_STEPS) {
    if (measure(body) <= maxLength) return body;
    detail = { ...detail, ...step };
    body = writeMarkdown(report, options, detail);
  }
  if (measure(body) <= maxLength) return body;
  // Still too long: as many table rows as fit, failing variants first, and shorter failure sections when
  // even those rows do not fit.
  const problems = problemVariants(report).length;
  for (const [i, step] of FAILURE_STEPS.entries()) {
    const candidate = { ...detail, ...step };
    const fits = (n: number) => measure(writeMarkdown(report, options, { ...candidate, maxRows: n })) <= maxLength;
    // Shorter failure sections only when the failing rows do not fit beside these; the last step takes what fits.
    const last = i === FAILURE_STEPS.length - 1;
    if (!last && !fits(problems)) continue;
    const rows = mostRows(last ? 0 : problems, report.variants.length, fits);
    if (rows >= 0) return writeMarkdown(report, options, { ...candidate, maxRows: rows });
  }
  return bare(report, options, maxLength, measure);
}

/** What goes first when a body is too long; each step keeps the cuts of the steps before it. */
export const DETAIL_STEPS: readonly Partial<Detail>[] = [
  { logLines: 10, logLineLength: 200, listItems: 5 },
  // The chart goes before any table or section is left out (README, "The chart").
  { chart: false },
  { listItems: 0 },
  { logLines: 0 },
  { budgetTable: 'failing' },
  { compactTables: true },
  { budgetTable: 'none' },
];

/** After DETAIL_STEPS, table rows are cut; failed builds' sections are shortened if even the failing rows do not fit. */
const FAILURE_STEPS: readonly Partial<Detail>[] = [{}, { failures: 'brief', breachLines: 20 }, { failures: 'none', breachLines: 5 }];

/** The largest n in [from, to] for which `fits(n)` holds (fits is monotonic), or -1. */
function mostRows(from: number, to: number, fits: (n: number) => boolean): number {
  let found = -1;
  let low = from;
  let high = to;
  while (low <= high) {
    const mid = Math.floor((low + high) / 2);
    if (fits(mid)) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

/** The bare verdict (bareLines), without the lines from the end that do not fit. */
function bare(report: Report, options: WriteOptions, maxLength: number, measure: (text: string) => number): string {
  const lines = bareLines(report, options);
  while (lines.length > 1 && measure(lines.join('\n') + '\n') > maxLength) lines.pop();
  return lines.join('\n') + '\n';
}
