/**
 * Writing the comment's sections at a given level of detail (`Detail`): the heading and verdict, the main table
 * and comparisons, the budget table, the per-layer sections, the failed builds, the note on what was left out
 * and the footnote. How much detail fits is fit-comment.ts's question. Pure.
 */
import { markdownTable } from 'markdown-table';
import type { Report, VariantReport } from '../report/types.js';
import { sizeChartBlock } from './chart.js';
import { codeBlock, codeSpan, escapeInline } from './escape.js';
import { describeBreach, describeCancel, formatDuration, uncompressedPushNote, unitsNote } from './format.js';
import {
  budgetRows,
  baseSourceNotes,
  comparisonSentences,
  failedVariants,
  growthRows,
  hasBase,
  largestLayerRows,
  mainTable,
  wastedRows,
  type TableStyle,
} from './table.js';

/** What the writing takes from the caller's options (MarkdownOptions in markdown.ts). */
export interface WriteOptions {
  /** Hidden marker put first, so the comment can be found again. */
  marker?: string;
  headLabel?: string;
  /** Where the full report is, for the note on what was left out (default: "the JSON report"). */
  fullReport?: string;
  /** The heading line (default "## Image size report"); a merged comment's section gives its own (merged-markdown.ts). */
  heading?: string;
}

/** How much detail a rendering carries. */
export interface Detail {
  /** Lines of build output shown per failed build (0: none). */
  logLines: number;
  /** Characters per line of build output. */
  logLineLength: number;
  /** Items per list in the collapsed per-variant sections (per-layer lists and the like); 0 leaves them out. */
  listItems: number;
  /** The budget table: every check, only the broken ones, or none (the verdict still lists the broken ones). */
  budgetTable: 'all' | 'failing' | 'none';
  /** Tables without the padding that aligns their columns in the source. */
  compactTables: boolean;
  /** Variants in the main table; when not all, those that failed or broke a budget come first. */
  maxRows: number;
  /** Failed builds: a section each (step, error, output), one line each, or nothing beyond the table. */
  failures: 'full' | 'brief' | 'none';
  /** Broken budgets listed under the verdict. */
  breachLines: number;
  /** The chart of sizes, base against this change (chart.ts). */
  chart: boolean;
}

export const FULL_DETAIL: Detail = {
  logLines: Infinity,
  logLineLength: 500,
  listItems: Infinity,
  budgetTable: 'all',
  compactTables: false,
  maxRows: Infinity,
  failures: 'full',
  breachLines: Infinity,
  chart: true,
};

/** The comment's heading. */
export const HEADING = '## Image size report';

const ICON = { ok: '✅', broken: '❌', failed: '💥', cancelled: '⏹️' } as const;

/** The comment at the given detail: heading, verdict, tables, sections, what was left out, footnote. */
export function writeMarkdown(report: Report, options: WriteOptions, detail: Detail): string {
  const left: string[] = [];
  const table = (rows: string[][], align: string[]) => markdownTable(rows, { align, alignDelimiters: !detail.compactTables });
  const style: TableStyle = {
    variant: (name, state) => `${ICON[state]} **${name}**`,
    text: escapeInline,
    headLabel: options.headLabel ?? 'This PR',
  };
  const out: string[] = [];
  if (options.marker) out.push(options.marker);
  out.push(options.heading ?? HEADING, '', verdictLine(report, detail.breachLines), '');

  let shown = report;
  if (detail.maxRows < report.variants.length) {
    const problems = new Set(problemVariants(report).map((v) => v.name));
    const ordered = [...report.variants.filter((v) => problems.has(v.name)), ...report.variants.filter((v) => !problems.has(v.name))];
    const names = new Set(ordered.slice(0, detail.maxRows).map((v) => v.name));
    shown = {
      ...report,
      variants: report.variants.filter((v) => names.has(v.name)),
      comparisons: report.comparisons.filter((c) => names.has(c.variant)),
    };
    const shownProblems = Math.min(problems.size, shown.variants.length);
    const failing = problems.size - shownProblems;
    const passing = report.variants.length - problems.size - (shown.variants.length - shownProblems);
    if (failing) left.push(`the rows of ${failing} failing variant${failing > 1 ? 's' : ''}`);
    if (passing) left.push(`the rows of ${passing} variant${passing > 1 ? 's' : ''} that built within budget`);
  }
  if (shown.variants.length) {
    const main = mainTable(shown, style);
    out.push(table([main.header.map((h) => (h ? `${h}` : ' ')), ...main.rows], main.align), '');
  }

  const sentences = comparisonSentences(shown, { text: escapeInline, strong: (s) => `**${s}**` });
  if (sentences.length) out.push(...sentences, '');
  if (shown.comparisons.length < report.comparisons.length) left.push('the comparisons of variants not shown');

  const chart = sizeChartBlock(report, style.headLabel);
  if (chart && detail.chart) out.push(chart, '');
  else if (chart) left.push('the chart');

  const checks = detail.budgetTable === 'failing' ? report.budgets.filter((c) => c.outcome === 'fail') : report.budgets;
  if (report.budgets.length && detail.budgetTable !== 'none' && checks.length) {
    const rows = budgetRows({ ...report, budgets: checks }, { text: escapeInline }).map(([variant, budget, limit, measured, outcome]) => [
      variant,
      budget,
      limit,
      measured,
      outcome === 'pass' ? '✅' : outcome === 'fail' ? '❌' : '➖',
    ]);
    out.push(
      '<details' + (checks.some((c) => c.outcome === 'fail') ? ' open' : '') + '><summary>Budgets</summary>',
      '',
      table([['Variant', 'Budget', 'Limit', 'Measured', ''], ...rows], ['l', 'l', 'r', 'r', 'c']),
      '',
      '</details>',
      '',
    );
  }
  if (report.budgets.length && (detail.budgetTable === 'none' || checks.length < report.budgets.length)) {
    left.push(detail.budgetTable === 'none' || checks.length === 0 ? 'the budget table' : 'the budget checks that passed');
  }

  out.push(...layerSections(shown, detail, table, left));

  const failed = failedVariants(report);
  if (detail.failures === 'full') {
    let cutLogs = 0;
    for (const variant of failed) {
      out.push(`### ${ICON.failed} ${escapeInline(variant.name)} failed to build`, '');
      if (variant.head.failedStep) out.push(`Failed step: ${codeSpan(variant.head.failedStep, 300, 'text')}`, '');
      out.push(`Error: ${codeSpan(variant.head.error, 300, 'text')}`, '');
      const log = variant.head.log;
      if (log.length > detail.logLines) cutLogs += 1;
      if (log.length && detail.logLines > 0) {
        const block = codeBlock(log.join('\n'), { maxLines: detail.logLines, maxLineLength: detail.logLineLength });
        out.push('<details><summary>Last lines of output</summary>', '', block, '', '</details>', '');
      }
    }
    if (cutLogs)
      left.push(detail.logLines > 0 ? `build output beyond the last ${detail.logLines} lines` : 'the build output of failed builds');
    for (const variant of report.variants) {
      if (variant.base?.status === 'failed') {
        out.push(
          `The base build of ${escapeInline(variant.name)} failed (${codeSpan(variant.base.error, 200, 'text')}), so it has no comparison.`,
          '',
        );
      }
    }
  } else if (failed.length) {
    if (detail.failures === 'brief') {
      const listed = failed.slice(0, Math.max(detail.breachLines, 0));
      out.push(`### ${ICON.failed} Failed builds`, '');
      for (const v of listed) {
        out.push(`- ${escapeInline(v.name)}${v.head.failedStep ? ` at ${codeSpan(v.head.failedStep, 100, 'text')}` : ''}`);
      }
      if (failed.length > listed.length) out.push(`- …and ${failed.length - listed.length} more`);
      out.push('');
    }
    left.push(
      detail.failures === 'brief' ? 'the errors and output of failed builds' : 'the failing steps, errors and output of failed builds',
    );
  }

  if (left.length) {
    const where = options.fullReport ?? 'the JSON report';
    out.push(`**Shortened to fit:** left out ${joinWords(left)}. The full report is in ${where}.`, '');
  }
  out.push(`<sub>${footnote(report)}</sub>`);
  return out.join('\n') + '\n';
}

/**
 * The job summary of a cancelled run that has no report: cancelled before anything was measured (`early`), or
 * ended by the last resort because its clean-up did not finish in time (`overdue`).
 */
export function renderCancelledNotice(signal: NonNullable<Report['cancelled']>['signal'], when: 'early' | 'overdue'): string {
  const sentence =
    when === 'early'
      ? `The run was cancelled (${signal}) before anything was measured.`
      : `The run was cancelled (${signal}), and its clean-up did not finish in time, so it has no report. The log says what it may have left in the Docker engine.`;
  return ['## Image size report', '', `${ICON.cancelled} ${sentence}`, ''].join('\n');
}

/** Variants that failed to build or broke a budget. */
export function problemVariants(report: Report): VariantReport[] {
  return report.variants.filter(
    (v) => v.head.status === 'failed' || report.budgets.some((c) => c.variant === v.name && c.outcome === 'fail'),
  );
}

/**
 * The last resort when even the shortest rendering is too long: marker, heading, verdict and where to look, a
 * line each (the fitting drops lines from the end until they fit).
 */
export function bareLines(report: Report, options: WriteOptions): string[] {
  const where = options.fullReport ?? 'the JSON report';
  return [
    ...(options.marker ? [options.marker] : []),
    options.heading ?? HEADING,
    '',
    verdictLine(report, 0),
    '',
    `**Shortened to fit:** the full report is in ${where}.`,
  ];
}

/** Where it grew (open), the largest layers and the wasted space (collapsed). */
function layerSections(report: Report, detail: Detail, table: (rows: string[][], align: string[]) => string, left: string[]): string[] {
  const out: string[] = [];
  if (detail.listItems === 0) {
    if (report.variants.some((v) => v.head.status === 'built' && v.head.layerDetails?.length)) left.push('the per-layer sections');
    return out;
  }
  const style = { text: escapeInline, code: (s: string) => codeSpan(s, 120) };
  const growth = growthRows(report, style, Math.min(10, detail.listItems));
  if (growth.length) {
    const open = growth.some((g) => g.rows.length > 0) ? ' open' : '';
    out.push(`<details${open}><summary>Where it grew: layers new or changed against the base</summary>`, '');
    for (const g of growth) {
      if (g.rows.length === 0) {
        out.push(`**${g.variant}**: ${g.sameSizeText ?? 'no layer changed'}.`, '');
        continue;
      }
      out.push(`**${g.variant}**`, '', table([['', 'Layer', 'Change', 'Compressed'], ...g.rows], ['l', 'l', 'r', 'r']), '');
      if (g.more) out.push(`…and ${g.more} more in the JSON report.`, '');
      if (g.sameSizeText) out.push(`${g.sameSizeText}.`, '');
    }
    out.push('</details>', '');
  }
  const largest = largestLayerRows(report, style, Math.min(5, detail.listItems));
  if (largest.length) {
    out.push('<details><summary>Largest layers</summary>', '');
    for (const l of largest) {
      out.push(`**${l.variant}**`, '', table([['Layer', 'Size', 'Compressed', 'From'], ...l.rows], ['l', 'r', 'r', 'l']), '');
    }
    out.push('</details>', '');
  }
  const wasted = wastedRows(report, style);
  if (wasted.length) {
    out.push('<details><summary>Wasted space: files stored in more than one layer, or deleted later</summary>', '');
    for (const w of wasted) {
      out.push(
        `**${w.variant}**`,
        '',
        table([['Path', 'All copies', 'Layers'], ...w.rows.slice(0, detail.listItems)], ['l', 'r', 'r']),
        '',
      );
    }
    out.push('</details>', '');
  }
  return out;
}

function joinWords(items: string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function verdictLine(report: Report, breachLines: number): string {
  const failed = failedVariants(report).length;
  const broken = report.budgets.filter((c) => c.outcome === 'fail');
  const cancel = describeCancel(report);
  if (cancel) {
    const problems = failed || broken.length ? verdictLine({ ...report, cancelled: undefined }, breachLines) : '';
    return [`${ICON.cancelled} ${cancel}`, ...(problems ? ['', problems] : [])].join('\n');
  }
  if (failed === 0 && broken.length === 0) {
    const checked = report.budgets.filter((c) => c.outcome === 'pass').length;
    return checked ? `✅ All ${checked} budget checks pass.` : '✅ All variants built.';
  }
  const parts: string[] = [];
  if (failed) parts.push(`${failed} variant${failed > 1 ? 's' : ''} failed to build`);
  if (broken.length) parts.push(`${broken.length} budget${broken.length > 1 ? 's' : ''} broken`);
  const shown = broken.slice(0, Math.max(breachLines, 0));
  const lines = shown.map((c) => `- ${escapeInline(describeBreach(c, report.units), 300)}`);
  if (shown.length && broken.length > shown.length) lines.push(`- …and ${broken.length - shown.length} more`);
  return [`❌ ${parts.join(', ')}.`, ...(lines.length ? ['', ...lines] : [])].join('\n');
}

function footnote(report: Report): string {
  const parts = [`Size: ${escapeInline(report.engine.sizeMeaning, 400)}, in ${unitsNote(report.units)}.`];
  const uncompressed = uncompressedPushNote(report);
  if (uncompressed) parts.push(`${uncompressed}.`);
  parts.push(
    'Layers: base image included; added by the Dockerfile; with at least one byte. ' +
      "Wasted: dive's, every copy of a path stored in more than one layer. " +
      'Build time: as if built first in this run (steps taken from another build of this run cost their time there).',
  );
  const rebuilt = `rebuilt from ${report.base.ref ? `${codeSpan(report.base.ref, 100, 'text')} at ` : ''}${shortSha(report.base.sha)}`;
  const perVariant = baseSourceNotes(report, { text: (t) => escapeInline(t, 300), code: (t) => codeSpan(t, 200, 'text') }, rebuilt);
  if (hasBase(report) && perVariant.length) {
    parts.push(`Base: ${perVariant.join('; ')}.${report.base.error ? ` (${escapeInline(report.base.error)})` : ''}`);
  } else if (hasBase(report)) {
    const b = report.base;
    const what = b.error
      ? `not available (${escapeInline(b.error)})`
      : report.cancelled && b.source === 'rebuild' && !b.sha
        ? 'not rebuilt, the run was cancelled first'
        : b.source === 'file'
          ? `read from a saved report${b.sha ? ` of ${shortSha(b.sha)}` : ''}`
          : rebuilt;
    parts.push(`Base: ${what}.`);
  }
  const total = report.variants.reduce((sum, v) => sum + (v.head.status === 'built' ? (v.head.buildMs ?? 0) : 0), 0);
  parts.push(
    `Docker ${escapeInline(report.engine.serverVersion, 100)}${engineWhere(report.engine.endpoint)}, ${escapeInline(report.engine.storage, 100)}; ${formatDuration(total)} of builds. ` +
      `${escapeInline(report.tool.name, 100)} ${escapeInline(report.tool.version, 100)}.`,
  );
  return parts.join(' ');
}

/** Where the engine was: ` at `tcp://…` (context `remote`)`, or nothing for reports that do not say. */
function engineWhere(endpoint: Report['engine']['endpoint']): string {
  if (!endpoint) return '';
  const from = endpoint.from === 'context' ? `context ${codeSpan(endpoint.context ?? '', 100, 'text')}` : endpoint.from;
  return ` at ${codeSpan(endpoint.host, 300, 'text')} (${from})`;
}

function shortSha(sha?: string): string {
  return sha ? codeSpan(sha.slice(0, 7), 7, 'text') : 'an unknown commit';
}
