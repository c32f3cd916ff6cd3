/**
 * The comment's picture: a Mermaid `xychart-beta` bar chart of each variant's unpacked size, the base against this
 * change. Pure.
 *
 * xychart-beta draws several `bar` series at the same x positions, on top of each other, not side by side, and it
 * draws a 0 as a short stub (the axis keeps room under 0 for its labels), so two series padded with zeros would
 * paint one side's stub over the other's bar. The chart is therefore one series with one x-axis entry per variant
 * and side ("multi-stage base", "multi-stage This PR"): one bar per figure, base and this change next to each other.
 * Up to VERTICAL_VARIANTS variants the bars stand; with more they lie (`horizontal`), so that long labels stay
 * readable.
 *
 * A variant is in the chart when both its sides were built; with no such variant there is nothing to compare and
 * no chart (a report without a base, a run whose base builds all failed). Over CHART_VARIANTS variants, the chart
 * keeps those whose size changed most, in report order, and its title says so.
 *
 * Every text in the chart is made safe (`chartLabel`): only letters, digits, spaces and `._-()/+` reach Mermaid, so
 * no quote, bracket, `%%` directive, `#…;` entity, backtick or line break can end a label or reach the Markdown.
 */
import type { Report, Units } from '../report/types.js';

/** The most variants one chart shows (two bars each): more would not read at a glance. */
export const CHART_VARIANTS = 10;

/** The bars' colour (GitHub's blue). */
const BAR_COLOUR = '#0969da';

/** Up to this many variants the bars stand; beyond, the chart is horizontal. */
export const VERTICAL_VARIANTS = 3;

export interface ChartFigure {
  variant: string;
  base: number;
  head: number;
}

/** The variants the chart shows, with their base and head unpacked sizes in bytes, and how many could be compared. */
export function chartFigures(report: Report): { figures: ChartFigure[]; comparable: number } {
  const all: ChartFigure[] = [];
  for (const v of report.variants) {
    if (v.head.status !== 'built' || v.base?.status !== 'built') continue;
    all.push({ variant: v.name, base: v.base.sizeBytes, head: v.head.sizeBytes });
  }
  if (all.length <= CHART_VARIANTS) return { figures: all, comparable: all.length };
  const largest = new Set(
    [...all]
      .map((f, i) => ({ i, change: Math.abs(f.head - f.base) }))
      .sort((a, b) => b.change - a.change || a.i - b.i)
      .slice(0, CHART_VARIANTS)
      .map((x) => x.i),
  );
  return { figures: all.filter((_, i) => largest.has(i)), comparable: all.length };
}

/** The Mermaid source of the chart (without the fence), or undefined when there is nothing to compare. */
export function sizeChart(report: Report, headLabel = 'This PR'): string | undefined {
  const { figures, comparable } = chartFigures(report);
  if (figures.length === 0) return undefined;
  const largest = Math.max(...figures.flatMap((f) => [f.base, f.head]));
  const { unit, divisor } = chartUnit(largest, report.units);
  const max = largest / divisor;
  const decimals = max >= 100 ? 0 : max >= 10 ? 1 : 2;
  const value = (bytes: number) => Number((bytes / divisor).toFixed(decimals));
  const head = chartLabel(headLabel, 20) || 'this change';
  const labels: string[] = [];
  const bars: number[] = [];
  for (const f of figures) {
    const name = chartLabel(f.variant, 60);
    labels.push(`${name} base`, `${name} ${head}`);
    bars.push(value(f.base), value(f.head));
  }
  const some = comparable > figures.length ? `, the ${figures.length} of ${comparable} variants that changed most` : '';
  const top = niceCeiling(max * 1.05);
  const horizontal = figures.length > VERTICAL_VARIANTS;
  // Mermaid's default bar colour is a pale lilac: a darker blue reads on light and dark backgrounds. A lying chart
  // gets the height its bars need and room for its labels.
  const init = {
    ...(horizontal ? { xyChart: { width: 900, height: 120 + 28 * bars.length } } : {}),
    themeVariables: { xyChart: { plotColorPalette: BAR_COLOUR } },
  };
  return [
    `%%{init: ${JSON.stringify(init)}}%%`,
    horizontal ? 'xychart-beta horizontal' : 'xychart-beta',
    `  title "Size in ${unit}, base and ${head}${some}"`,
    `  x-axis [${labels.map((l) => `"${l}"`).join(', ')}]`,
    `  y-axis "${unit}" 0 --> ${top}`,
    `  bar [${bars.join(', ')}]`,
  ].join('\n');
}

/** The chart as a fenced Markdown block, or undefined when there is none. */
export function sizeChartBlock(report: Report, headLabel?: string): string | undefined {
  const chart = sizeChart(report, headLabel);
  return chart === undefined ? undefined : '```mermaid\n' + chart + '\n```';
}

/**
 * Text safe inside a quoted Mermaid label: letters, digits, spaces and `._-()/+`; anything else becomes `_`
 * (runs of it one `_`), blanks are collapsed, and the result is at most `max` characters.
 */
export function chartLabel(text: string, max: number): string {
  const safe = text
    .replace(/\s+/g, ' ')
    .replace(/[^A-Za-z0-9 ._()/+-]+/g, '_')
    .trim();
  return safe.length > max ? `${safe.slice(0, max - 1).trimEnd()}_` : safe;
}

/** The unit bars are drawn in: the largest of B, kB, MB, GB, TB (KiB, MiB... in binary units) the largest figure reaches. */
export function chartUnit(largest: number, units: Units): { unit: string; divisor: number } {
  const base = units === 'binary' ? 1024 : 1000;
  const names = units === 'binary' ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (i < names.length - 1 && largest >= base ** (i + 1)) i += 1;
  return { unit: names[i], divisor: base ** i };
}

/** A round number at or above `value` for the top of the y axis: a multiple of half its power of ten (600, 150, 1.5). */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(value)) / 2;
  return Number((Math.ceil(value / step) * step).toPrecision(12));
}
