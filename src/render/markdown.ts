/** The pull-request comment and job summary, as GitHub-flavoured Markdown. Pure. */
import { markdownTable } from 'markdown-table';
import type { Report } from '../report/types.js';
import { describeBreach, formatDuration, unitsNote } from './format.js';
import {
  budgetRows,
  comparisonSentences,
  failedVariants,
  growthRows,
  hasBase,
  largestLayerRows,
  mainTable,
  wastedRows,
  type TableStyle,
} from './table.js';

export const COMMENT_LIMIT = 65_536;

/** The hidden marker that identifies our comment for a comment key. */
export function commentMarker(commentKey: string): string {
  return `<!-- image-size-report:${commentKey} -->`;
}

export interface MarkdownOptions {
  /** Hidden marker put first, so the comment can be found again. */
  marker?: string;
  headLabel?: string;
}

const ICON = { ok: '✅', broken: '❌', failed: '💥' } as const;

export function renderMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const style: TableStyle = {
    variant: (name, state) => `${ICON[state]} **${name}**`,
    text: escapeInline,
    headLabel: options.headLabel ?? 'This PR',
  };
  const out: string[] = [];
  if (options.marker) out.push(options.marker);
  out.push('## Image size report', '', verdictLine(report), '');
  const table = mainTable(report, style);
  out.push(markdownTable([table.header.map((h) => (h ? `${h}` : ' ')), ...table.rows], { align: table.align }), '');
  const sentences = comparisonSentences(report, { text: escapeInline, strong: (s) => `**${s}**` });
  if (sentences.length) out.push(...sentences, '');

  if (report.budgets.length) {
    const rows = budgetRows(report, { text: escapeInline }).map(([variant, budget, limit, measured, outcome]) => [
      variant,
      budget,
      limit,
      measured,
      outcome === 'pass' ? '✅' : outcome === 'fail' ? '❌' : '➖',
    ]);
    out.push(
      '<details' + (report.budgets.some((c) => c.outcome === 'fail') ? ' open' : '') + '><summary>Budgets</summary>',
      '',
      markdownTable([['Variant', 'Budget', 'Limit', 'Measured', ''], ...rows], { align: ['l', 'l', 'r', 'r', 'c'] }),
      '',
      '</details>',
      '',
    );
  }

  out.push(...layerSections(report));

  for (const variant of failedVariants(report)) {
    out.push(`### ${ICON.failed} ${escapeInline(variant.name)} failed to build`, '');
    if (variant.head.failedStep) out.push(`Failed step: ${codeSpan(variant.head.failedStep)}`, '');
    out.push(`Error: ${codeSpan(variant.head.error)}`, '');
    if (variant.head.log.length) {
      out.push('<details><summary>Last lines of output</summary>', '', codeBlock(variant.head.log.join('\n')), '', '</details>', '');
    }
  }
  for (const variant of report.variants) {
    if (variant.base?.status === 'failed') {
      out.push(`The base build of ${escapeInline(variant.name)} failed (${codeSpan(variant.base.error)}), so it has no comparison.`, '');
    }
  }
  out.push(`<sub>${footnote(report)}</sub>`);
  return out.join('\n') + '\n';
}

/** Where it grew (open), the largest layers and the wasted space (collapsed). */
function layerSections(report: Report): string[] {
  const style = { text: escapeInline, code: (s: string) => codeSpan(s, 120) };
  const out: string[] = [];
  const growth = growthRows(report, style);
  if (growth.length) {
    out.push('<details open><summary>Where it grew: layers new or changed against the base</summary>', '');
    for (const g of growth) {
      out.push(`**${g.variant}**`, '', markdownTable([['', 'Layer', 'Change', 'Compressed'], ...g.rows], { align: ['l', 'l', 'r', 'r'] }), '');
      if (g.more) out.push(`…and ${g.more} more in the JSON report.`, '');
    }
    out.push('</details>', '');
  }
  const largest = largestLayerRows(report, style);
  if (largest.length) {
    out.push('<details><summary>Largest layers</summary>', '');
    for (const l of largest) {
      out.push(`**${l.variant}**`, '', markdownTable([['Layer', 'Size', 'Compressed', 'From'], ...l.rows], { align: ['l', 'r', 'r', 'l'] }), '');
    }
    out.push('</details>', '');
  }
  const wasted = wastedRows(report, style);
  if (wasted.length) {
    out.push('<details><summary>Wasted space: files stored in more than one layer, or deleted later</summary>', '');
    for (const w of wasted) {
      out.push(`**${w.variant}**`, '', markdownTable([['Path', 'All copies', 'Layers'], ...w.rows], { align: ['l', 'r', 'r'] }), '');
    }
    out.push('</details>', '');
  }
  return out;
}

function verdictLine(report: Report): string {
  const failed = failedVariants(report).length;
  const broken = report.budgets.filter((c) => c.outcome === 'fail');
  if (failed === 0 && broken.length === 0) {
    const checked = report.budgets.filter((c) => c.outcome === 'pass').length;
    return checked ? `✅ All ${checked} budget checks pass.` : '✅ All variants built.';
  }
  const parts: string[] = [];
  if (failed) parts.push(`${failed} variant${failed > 1 ? 's' : ''} failed to build`);
  const lines = broken.map((c) => `- ${escapeInline(describeBreach(c, report.units))}`);
  if (broken.length) parts.push(`${broken.length} budget${broken.length > 1 ? 's' : ''} broken`);
  return [`❌ ${parts.join(', ')}.`, ...(lines.length ? ['', ...lines] : [])].join('\n');
}

function footnote(report: Report): string {
  const parts = [`Size: ${report.engine.sizeMeaning}, in ${unitsNote(report.units)}.`];
  parts.push(
    'Layers: filesystem layers, base image included (added: by the Dockerfile; with content: at least one byte). ' +
      "Wasted: dive's measure, all copies of paths stored in more than one layer. " +
      'Build time: what the build would take had it run first in this run (its wall time, plus the time of steps it took ' +
      'from another build of this run, as measured there; steps cached before the run count nothing); cached steps show a warm build.',
  );
  if (hasBase(report)) {
    const b = report.base;
    const what = b.error
      ? `not available (${escapeInline(b.error)})`
      : b.source === 'file'
        ? `read from a saved report${b.sha ? ` of ${shortSha(b.sha)}` : ''}`
        : `rebuilt from ${b.ref ? `${codeSpan(b.ref)} at ` : ''}${shortSha(b.sha)}`;
    parts.push(`Base: ${what}.`);
  }
  const total = report.variants.reduce((sum, v) => sum + (v.head.status === 'built' ? v.head.buildMs : 0), 0);
  parts.push(`Docker ${escapeInline(report.engine.serverVersion)}, ${escapeInline(report.engine.storage)}; ${formatDuration(total)} of builds. ${report.tool.name} ${report.tool.version}.`);
  return parts.join(' ');
}

function shortSha(sha?: string): string {
  return sha ? codeSpan(sha.slice(0, 7)) : 'an unknown commit';
}

/**
 * Escape text for inline Markdown, in a table cell too: characters with Markdown or HTML meaning are
 * backslash-escaped, line breaks become spaces, and long text is cut.
 */
export function escapeInline(text: string, max = 200): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  // `(`, `)`, `!` and `+` need no escape once `[` and `]` are escaped and text never starts a line.
  return cut.replace(/[\\`*_{}[\]<>#|~@&]/g, (c) => `\\${c}`);
}

/** An inline code span that its content cannot close; pipes escaped so it survives inside a table. */
export function codeSpan(text: string, max = 200): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  const fence = '`'.repeat(longestRun(cut, '`') + 1);
  const pad = cut.startsWith('`') || cut.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${cut.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/** A fenced code block whose fence is longer than any backtick run inside. */
export function codeBlock(text: string): string {
  const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
  return `${fence}text\n${text}\n${fence}`;
}

function longestRun(text: string, char: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}
