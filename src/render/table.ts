/**
 * The report as rows of cells, shared by the Markdown comment and the terminal output, which differ only in
 * how a cell is decorated and escaped. Pure.
 */
import { splitOfSide, type SideSplit } from '../compare/attribution.js';
import { isSameSizeRebuild, isUnchanged, minChangeOf } from '../compare/noise.js';
import type { BuiltResult, Report, SideResult, VariantReport } from '../report/types.js';
import {
  describeMinChange,
  formatBytes,
  formatDuration,
  formatSignedBytes,
  formatSignedCount,
  formatSignedDuration,
  formatSignedPercent,
  formatQuantity,
} from './format.js';

export interface TableStyle {
  /** Decorate a variant name (bold in Markdown); the name is already escaped. */
  variant(name: string, state: VariantState): string;
  /** Escape untrusted or free text for the medium. */
  text(value: string): string;
  headLabel: string;
}

/** How a variant's row is marked: measured within budget, over budget, failed to build, not measured (cancelled). */
export type VariantState = 'ok' | 'broken' | 'failed' | 'cancelled';

export function hasBase(report: Report): boolean {
  return report.base.source !== 'none';
}

/**
 * Header and rows of the main table: a row per figure (size, its base-image and own parts when known,
 * compressed, layers, wasted, build time) per variant; one row for a variant within budget whose figures did not
 * change beyond min-change (compare/noise.ts).
 */
export function mainTable(report: Report, style: TableStyle): { header: string[]; rows: string[][]; align: ('l' | 'r')[] } {
  const withBase = hasBase(report);
  const header = withBase ? ['Variant', '', 'Base', style.headLabel, 'Change'] : ['Variant', '', style.headLabel];
  const rows: string[][] = [];
  for (const variant of report.variants) {
    const broken = report.budgets.some((c) => c.variant === variant.name && c.outcome === 'fail');
    const state: VariantState =
      variant.head.status === 'cancelled' ? 'cancelled' : variant.head.status !== 'built' ? 'failed' : broken ? 'broken' : 'ok';
    const name = style.variant(style.text(variant.name), state);
    const lines =
      state === 'ok' && isUnchanged(variant, minChangeOf(report)) ? [unchangedRow(report, variant)] : metricRows(report, variant);
    lines.forEach((line, i) => {
      const row = [i === 0 ? name : '', line.label];
      if (withBase) row.push(line.base, line.head, line.change);
      else row.push(line.head);
      rows.push(row);
    });
  }
  return { header, rows, align: withBase ? ['l', 'l', 'r', 'r', 'r'] : ['l', 'l', 'r'] };
}

interface MetricLine {
  label: string;
  base: string;
  head: string;
  change: string;
}

/** The one row of a variant that did not change: its size on both sides, and that nothing moved beyond min-change. */
function unchangedRow(report: Report, variant: VariantReport): MetricLine {
  const { units } = report;
  return {
    label: 'Size',
    base: side(variant.base, (r) => formatBytes(r.sizeBytes, units)),
    head: side(variant.head, (r) => formatBytes(r.sizeBytes, units)),
    change: `no change beyond ${describeMinChange(minChangeOf(report), units)}`,
  };
}

/** The size's two parts (compare/attribution.ts): the base image's layers and the Dockerfile's own. */
function splitRows(report: Report, variant: VariantReport): MetricLine[] {
  const c = variant.change;
  if (!c?.baseImage || !c.own || variant.base?.status !== 'built' || variant.head.status !== 'built') return [];
  const [b, h] = [splitOfSide(variant.base), splitOfSide(variant.head)];
  if (!b || !h) return [];
  const { units } = report;
  const row = (label: string, pick: (s: SideSplit) => number, change: number): MetricLine => ({
    label,
    base: formatBytes(pick(b), units),
    head: formatBytes(pick(h), units),
    change: formatSignedBytes(change, units),
  });
  return [
    row('↳ base image', (s) => s.baseImage.sizeBytes, c.baseImage.sizeBytes),
    row('↳ own layers', (s) => s.own.sizeBytes, c.own.sizeBytes),
  ];
}

function metricRows(report: Report, variant: VariantReport): MetricLine[] {
  const { units } = report;
  const c = variant.change;
  const base = variant.base;
  const noChange = base?.status === 'absent' && !variant.baseSource?.error ? 'new' : '—';
  const bytesChange = (bytes: number | undefined, ratio: number | undefined) =>
    bytes === undefined ? noChange : `${formatSignedBytes(bytes, units)}${ratio === undefined ? '' : ` (${formatSignedPercent(ratio)})`}`;
  const lines: MetricLine[] = [
    {
      label: 'Size',
      base: side(base, (r) => formatBytes(r.sizeBytes, units)),
      head: side(variant.head, (r) => formatBytes(r.sizeBytes, units)),
      change: c ? bytesChange(c.sizeBytes, c.sizeRatio) : noChange,
    },
    ...splitRows(report, variant),
  ];
  const sides = [base, variant.head];
  if (sides.some((r) => r?.status === 'built' && r.compressedBytes !== undefined)) {
    lines.push({
      label: 'Compressed',
      base: side(base, (r) => optionalBytes(r.compressedBytes, units)),
      head: side(variant.head, (r) => optionalBytes(r.compressedBytes, units)),
      change: c ? (c.compressedBytes === undefined ? '—' : bytesChange(c.compressedBytes, c.compressedRatio)) : noChange,
    });
  }
  lines.push({
    label: 'Layers',
    base: side(base, layerCount),
    head: side(variant.head, layerCount),
    change: c ? formatSignedCount(c.layers) : noChange,
  });
  if (sides.some((r) => r?.status === 'built' && r.efficiency)) {
    lines.push({
      label: 'Wasted',
      base: side(base, (r) => wasted(r, units)),
      head: side(variant.head, (r) => wasted(r, units)),
      change: c ? (c.wastedBytes === undefined ? '—' : formatSignedBytes(c.wastedBytes, units)) : noChange,
    });
  }
  lines.push({
    label: 'Build time',
    base: side(base, buildTime),
    head: side(variant.head, buildTime),
    change: c ? (c.buildMs === undefined ? NOT_BUILT : formatSignedDuration(c.buildMs)) : noChange,
  });
  return lines;
}

/** Build time of an image that was not built here (a base read from a registry): not applicable. */
export const NOT_BUILT = 'n/a (not built)';

function optionalBytes(bytes: number | undefined, units: Report['units']): string {
  return bytes === undefined ? '—' : formatBytes(bytes, units);
}

/** `12 (5 added, 9 with content)`: total, added by the Dockerfile, and those with at least a byte. */
function layerCount(r: BuiltResult): string {
  const parts: string[] = [];
  if (r.baseImageLayers !== undefined) parts.push(`${r.layers - r.baseImageLayers} added`);
  if (r.contentLayers !== undefined) parts.push(`${r.contentLayers} with content`);
  return parts.length ? `${r.layers} (${parts.join(', ')})` : String(r.layers);
}

/** `3.1 MB (97.2% efficient)`, dive's figures. */
function wasted(r: BuiltResult, units: Report['units']): string {
  if (!r.efficiency) return '—';
  return `${formatBytes(r.efficiency.wastedBytes, units)} (${formatQuantity(r.efficiency.score, 'score', units)} efficient)`;
}

/**
 * `41.0 s (wall 5.2 s, 3/4 cached)`: the order-independent time, and the wall time when steps were taken
 * from another build of the same run (see compare/build-time.ts); `5.2 s (3/4 cached)` otherwise.
 */
function buildTime(r: Extract<SideResult, { status: 'built' }>): string {
  if (r.buildMs === undefined) return NOT_BUILT;
  const steps = r.steps ?? 0;
  const cachedSteps = r.cachedSteps ?? 0;
  const cached = steps > 0 && cachedSteps > 0 ? `${cachedSteps}/${steps} cached` : '';
  const comparable = r.comparableBuildMs ?? r.buildMs;
  if (Math.round(comparable / 100) !== Math.round(r.buildMs / 100)) {
    return `${formatDuration(comparable)} (wall ${formatDuration(r.buildMs)}${cached ? `, ${cached}` : ''})`;
  }
  return `${formatDuration(r.buildMs)}${cached ? ` (${cached})` : ''}`;
}

function side(result: SideResult | undefined, show: (r: Extract<SideResult, { status: 'built' }>) => string): string {
  if (!result) return '—';
  if (result.status === 'built') return show(result);
  if (result.status === 'failed') return 'failed';
  if (result.status === 'cancelled') return 'not measured';
  return 'absent';
}

/** Rows of the budgets table: variant, budget, limit, measured, outcome. */
export function budgetRows(report: Report, style: Pick<TableStyle, 'text'>): string[][] {
  return report.budgets.map((check) => {
    const budget = check.of ? `${check.budget} (of ${style.text(check.of)})` : check.budget;
    const measured =
      check.actual === undefined ? style.text(check.note ?? 'not measured') : formatQuantity(check.actual, check.quantity, report.units);
    return [style.text(check.variant), budget, formatQuantity(check.limit, check.quantity, report.units), measured, check.outcome];
  });
}

/** "multi-stage is 78.4% smaller than single-stage (91.2 MB vs 422 MB)". Names are escaped by `text`. */
export function comparisonSentences(report: Report, style: Pick<TableStyle, 'text'> & { strong(s: string): string }): string[] {
  return report.comparisons.map((c) => {
    const variant = report.variants.find((v) => v.name === c.variant)?.head;
    const reference = report.variants.find((v) => v.name === c.reference)?.head;
    const sizes =
      variant?.status === 'built' && reference?.status === 'built'
        ? ` (${formatBytes(variant.sizeBytes, report.units)} vs ${formatBytes(reference.sizeBytes, report.units)})`
        : '';
    const percent = Math.abs(1 - c.ratio) * 100;
    const relation = c.ratio <= 1 ? 'smaller' : 'larger';
    return `${style.strong(style.text(c.variant))} is ${style.strong(`${percent.toFixed(1)}% ${relation}`)} than ${style.strong(style.text(c.reference))}${sizes}.`;
  });
}

export function failedVariants(report: Report): (VariantReport & { head: Extract<SideResult, { status: 'failed' }> })[] {
  return report.variants.filter(
    (v): v is VariantReport & { head: Extract<SideResult, { status: 'failed' }> } => v.head.status === 'failed',
  );
}

/**
 * Per variant with a base: the layers that are new, changed or gone, largest change first (at most `limit`),
 * leaving out layers rebuilt with the same size (within min-change, compare/noise.ts): those are only counted,
 * in `sameSize`, and `sameSizeText` says it in a sentence.
 */
export function growthRows(
  report: Report,
  style: Pick<TableStyle, 'text'> & { code(s: string): string },
  limit = 10,
): { variant: string; rows: string[][]; more: number; sameSize: number; sameSizeText?: string }[] {
  const { units } = report;
  const min = minChangeOf(report);
  return report.variants
    .filter((v) => v.layerChanges && v.layerChanges.length > 0)
    .map((v) => {
      const changes = v.layerChanges!.filter((c) => !isSameSizeRebuild(c, min));
      const sameSize = v.layerChanges!.length - changes.length;
      return {
        variant: style.text(v.name),
        rows: changes
          .slice(0, limit)
          .map((c) => [
            c.kind,
            style.code(c.instruction || '(no history)'),
            formatSignedBytes(c.sizeBytes, units),
            c.compressedBytes === undefined ? '—' : formatSignedBytes(c.compressedBytes, units),
          ]),
        more: Math.max(0, changes.length - limit),
        sameSize,
        ...(sameSize
          ? {
              sameSizeText: `${changes.length ? 'Also ' : ''}${sameSize} layer${sameSize > 1 ? 's' : ''} rebuilt, same size (within ${describeMinChange(min, units)})`,
            }
          : {}),
      };
    });
}

/** Per built variant: its largest layers (at most `limit`), with the instruction that made each. */
export function largestLayerRows(
  report: Report,
  style: Pick<TableStyle, 'text'> & { code(s: string): string },
  limit = 5,
): { variant: string; rows: string[][] }[] {
  const { units } = report;
  return report.variants.flatMap((v) => {
    if (v.head.status !== 'built' || !v.head.layerDetails?.length) return [];
    const largest = [...v.head.layerDetails].sort((a, b) => b.sizeBytes - a.sizeBytes).slice(0, limit);
    return [
      {
        variant: style.text(v.name),
        rows: largest.map((l) => [
          style.code(l.instruction || '(no history)'),
          formatBytes(l.sizeBytes, units),
          optionalBytes(l.compressedBytes, units),
          l.fromBaseImage ? 'base image' : 'Dockerfile',
        ]),
      },
    ];
  });
}

/** Per built variant with wasted space: the largest wasted paths. */
export function wastedRows(
  report: Report,
  style: Pick<TableStyle, 'text'> & { code(s: string): string },
): { variant: string; rows: string[][] }[] {
  const { units } = report;
  return report.variants.flatMap((v) => {
    const paths = v.head.status === 'built' ? (v.head.efficiency?.topWasted ?? []) : [];
    if (paths.length === 0) return [];
    return [
      { variant: style.text(v.name), rows: paths.map((p) => [style.code(`/${p.path}`), formatBytes(p.bytes, units), String(p.copies)]) },
    ];
  });
}

/**
 * Where each variant's base came from, one phrase per variant (`multi-stage: from the registry, `ref` (digest)`),
 * when the report says (`baseSource`: `baseline` listed sources, or was `registry`). `rebuilt` names the rebuilt
 * commit (already escaped) when there is one. Names, references and errors are escaped by the style.
 */
export function baseSourceNotes(
  report: Pick<Report, 'variants'>,
  style: { text(value: string): string; code(value: string): string },
  rebuilt: string,
): string[] {
  return report.variants.flatMap((variant) => {
    const source = variant.baseSource;
    if (!source) return [];
    const reference = source.reference ? style.code(source.reference) : '';
    let what: string;
    if (source.error) what = `not available from ${reference} (${style.text(source.error)})`;
    else if (source.source === 'registry') {
      what = `from the registry, ${reference}${source.digest ? ` (${style.code(source.digest.slice(0, 19))})` : ''}`;
    } else if (source.source === 'file') what = 'from the saved report';
    else if (source.source === 'rebuild') what = rebuilt;
    else what = variant.base?.status === 'cancelled' ? 'not measured' : 'no source had it (new)';
    return [`${style.text(variant.name)}: ${what}`];
  });
}
