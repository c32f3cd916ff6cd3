/**
 * One comment for several reports (a matrix of jobs, each of which measured its images and uploaded its report;
 * one job that posts them with `report-from`): the heading and one verdict, the worst of all, then a section per
 * report in a stable order, each written as a single report's comment is (markdown-sections.ts) under a heading
 * that names it. Fitting: each section gets a share of the room that is left, the shortest first, and gives up
 * detail as a single comment does (fit-comment.ts) until it fits its share; sections that still do not fit are
 * left out from the end, and the comment says so. Pure.
 */
import type { Report } from '../report/types.js';
import { REPORT_NAME_MAX } from '../report/types.js';
import { codeSpan, escapeInline } from './escape.js';
import { fitComment } from './fit-comment.js';
import { FULL_DETAIL, HEADING, writeMarkdown, type WriteOptions } from './markdown-sections.js';

/** A report to show, and the file it was read from (relative to the working directory). */
export interface ReportSection {
  file: string;
  report: Report;
}

export interface MergedOptions {
  marker?: string;
  headLabel?: string;
  /** Where the full reports are, for the notes on what was left out. */
  fullReport?: string;
  /** The longest the result may be (COMMENT_LIMIT, or SUMMARY_LIMIT with `utf8Length`). */
  maxLength?: number;
  measure?: (text: string) => number;
}

/** Titles listed in the verdict before "and N more". */
const LISTED = 10;

const ICON = { pass: '✅', fail: '❌', cancelled: '⏹️' } as const;

/**
 * The order of the sections: reports with a name first, by name, then those without, by file; ties by file.
 * Strings compare by UTF-16 code units, so neither the file system's order, the artifacts' upload order nor the
 * machine's locale changes it.
 */
export function orderReports<T extends ReportSection>(sections: readonly T[]): T[] {
  const key = (s: T): [number, string, string] => (s.report.name !== undefined ? [0, s.report.name, s.file] : [1, s.file, s.file]);
  return [...sections].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || compare(x[1], y[1]) || compare(x[2], y[2]);
  });
}

/**
 * The one verdict of several reports: `fail` when any report fails (a build failed or a budget was broken) or a
 * report was refused (what it would have said is unknown), else `cancelled` when any report is of a cancelled
 * run, else `pass`. A failure is never hidden behind a cancellation: with a matrix's fail-fast, the failing job
 * is what cancelled the others.
 */
export function worstStatus(reports: readonly Report[], refused = 0): Report['status'] {
  if (refused > 0 || reports.some((r) => r.status === 'fail')) return 'fail';
  if (reports.some((r) => r.status === 'cancelled')) return 'cancelled';
  return 'pass';
}

/** How a section is named in its heading and the verdict: the report's name (escaped), or the file it came from. */
export function sectionTitle(section: ReportSection): string {
  return section.report.name !== undefined ? escapeInline(section.report.name, REPORT_NAME_MAX) : codeSpan(section.file, 200, 'text');
}

/** The comment (or job summary) for several reports, `refused` being the files that were not accepted. */
export function renderMergedMarkdown(sections: readonly ReportSection[], refused: readonly string[], options: MergedOptions = {}): string {
  const ordered = orderReports(sections);
  const measure = options.measure ?? ((text: string) => text.length);
  const maxLength = options.maxLength ?? Infinity;
  const head = [...(options.marker ? [options.marker] : []), HEADING, '', ...verdictLines(ordered, refused)].join('\n') + '\n';
  const write = (section: ReportSection, room: number): string => {
    const opts: WriteOptions = { heading: `### ${ICON[section.report.status]} ${sectionTitle(section)}`, ...pick(options) };
    const full = writeMarkdown(section.report, opts, FULL_DETAIL);
    const body = measure(full) <= room ? full : fitComment(section.report, opts, room, measure);
    return body.replace(/\n+$/, '\n');
  };

  // Each section gets an equal share of what is left, the shortest first, so room a short one does not use
  // goes to the longer ones. A blank line goes before each section.
  const bodies = new Map<ReportSection, string>();
  let room = maxLength - measure(head);
  const fullLength = new Map(ordered.map((s) => [s, measure(write(s, Infinity))]));
  const bySize = [...ordered].sort((a, b) => fullLength.get(a)! - fullLength.get(b)!);
  bySize.forEach((section, i) => {
    const share = Math.floor((room - (bySize.length - i)) / (bySize.length - i));
    const body = write(section, Math.max(share, 0));
    bodies.set(section, body);
    room -= measure(body) + 1;
  });

  // A last resort, for sections so many or so short of room that even their bare verdicts overflow: leave
  // sections out from the end, and say so.
  for (let shown = ordered.length; shown >= 0; shown--) {
    const left = ordered.length - shown;
    const parts = [head, ...ordered.slice(0, shown).map((s) => '\n' + bodies.get(s)!)];
    if (left) {
      const where = options.fullReport ?? 'the JSON reports';
      parts.push(
        `\n**Shortened to fit:** left out the section${left > 1 ? 's' : ''} of ${left} report${left > 1 ? 's' : ''}. They are in ${where}.\n`,
      );
    }
    const body = parts.join('');
    if (measure(body) <= maxLength || shown === 0) return body;
  }
  return head; // not reached: the loop returns at shown === 0
}

/** The verdict of all reports: each kind of outcome on a line, with the reports it concerns. */
function verdictLines(sections: readonly ReportSection[], refused: readonly string[]): string[] {
  const total = sections.length + refused.length;
  const of = (status: Report['status']) => sections.filter((s) => s.report.status === status);
  const failing = of('fail');
  const cancelled = of('cancelled');
  const lines: string[] = [];
  if (failing.length) {
    lines.push(
      `${ICON.fail} ${failing.length} of ${total} report${total > 1 ? 's' : ''} ${failing.length > 1 ? 'fail' : 'fails'}: ${titles(failing)}.`,
    );
  }
  if (refused.length) {
    const files = listed(refused.map((f) => codeSpan(f, 200, 'text')));
    lines.push(
      `${ICON.fail} ${refused.length} of ${total} report${total > 1 ? 's' : ''} ${refused.length > 1 ? 'were' : 'was'} refused and ${refused.length > 1 ? 'are' : 'is'} not shown (not a valid report, or not of the commit the run built; the log of this step says why): ${files}.`,
    );
  }
  if (cancelled.length) {
    lines.push(
      `${ICON.cancelled} ${cancelled.length} of ${total} report${total > 1 ? 's' : ''} ${cancelled.length > 1 ? 'are' : 'is'} of a run that was cancelled before it finished: ${titles(cancelled)}.`,
    );
  }
  if (lines.length === 0) lines.push(total === 1 ? `${ICON.pass} The report passes.` : `${ICON.pass} All ${total} reports pass.`);
  return lines.flatMap((line, i) => (i ? ['', line] : [line]));
}

function titles(sections: readonly ReportSection[]): string {
  return listed(sections.map(sectionTitle));
}

function listed(items: readonly string[]): string {
  const shown = items.slice(0, LISTED);
  const more = items.length - shown.length;
  return shown.join(', ') + (more ? ` and ${more} more` : '');
}

function pick(options: MergedOptions): WriteOptions {
  return {
    ...(options.headLabel !== undefined ? { headLabel: options.headLabel } : {}),
    ...(options.fullReport !== undefined ? { fullReport: options.fullReport } : {}),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
