// The comment's chart (src/render/chart.ts): which variants it shows, in which unit, with labels nothing can break
// out of, and its place in the comment; fit-comment.ts drops it before any table. The browser test
// (__tests__/browser/chart.test.ts) draws it with mermaid.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHART_VARIANTS, chartLabel, chartUnit, sizeChart, sizeChartBlock } from '../../src/render/chart.js';
import { DETAIL_STEPS } from '../../src/render/fit-comment.js';
import { FULL_DETAIL, writeMarkdown } from '../../src/render/markdown-sections.js';
import { COMMENT_LIMIT, renderMarkdown } from '../../src/render/markdown.js';
import type { Report, SideResult } from '../../src/report/types.js';
import { HOSTILE } from '../support/hostile-strings.js';
import { built, report, variant } from '../support/report-fixture.js';

const example = JSON.parse(readFileSync(new URL('../fixtures/reports/example-pull-request.json', import.meta.url), 'utf8')) as Report;

/** The quoted strings and the bar values of a chart's source. */
function parts(chart: string): { labels: string[]; bars: number[]; title: string; axis: string } {
  const x = /^ {2}x-axis \[(.*)\]$/m.exec(chart)![1];
  return {
    labels: [...x.matchAll(/"([^"]*)"/g)].map((m) => m[1]),
    bars: /^ {2}bar \[(.*)\]$/m.exec(chart)![1].split(', ').map(Number),
    title: /^ {2}title "([^"]*)"$/m.exec(chart)![1],
    axis: /^ {2}y-axis (.*)$/m.exec(chart)![1],
  };
}

describe('sizeChart', () => {
  it("charts the example's two variants: base and this change next to each other, in MB", () => {
    const chart = sizeChart(example, 'This PR')!;
    const lines = chart.split('\n');
    expect(lines[0]).toMatch(/^%%\{init: \{.*"plotColorPalette":"#0969da".*\}\}%%$/);
    expect(lines[1]).toBe('xychart-beta');
    const p = parts(chart);
    expect(p.title).toBe('Size in MB, base and This PR');
    expect(p.labels).toEqual(['single-stage base', 'single-stage This PR', 'multi-stage base', 'multi-stage This PR']);
    const sizes = example.variants.flatMap((v) => [v.base, v.head].map((s) => (s?.status === 'built' ? s.sizeBytes / 1e6 : NaN)));
    expect(p.bars).toEqual(sizes.map((mb) => Math.round(mb))); // three significant digits of 547 MB: whole MB
    expect(p.axis).toBe('"MB" 0 --> 600');
  });

  it('has no chart when there is nothing to compare: no base, or no variant built on both sides', () => {
    expect(sizeChart({ ...example, base: { source: 'none' }, variants: example.variants.map((v) => ({ ...v, base: undefined })) })).toBe(
      undefined,
    );
    const failed: SideResult = { status: 'failed', error: 'exit code: 1', log: [] };
    const absent: SideResult = { status: 'absent', reason: 'no such Dockerfile in the base commit' };
    const r = report([
      variant('a', 1, built(5_000_000, 3), failed),
      variant('b', 1, failed, built(5_000_000, 3)),
      variant('c', 1, built(1, 1), absent),
    ]);
    expect(sizeChart(r)).toBe(undefined);
    expect(renderMarkdown(r)).not.toContain('```mermaid');
    expect(renderMarkdown(r)).not.toContain('the chart');
    // One comparable variant is enough; the others are left out of it.
    const one = report([variant('a', 1, built(5_000_000, 3), failed), variant('d', 1, built(2_500_000, 3), built(2_000_000, 3))]);
    expect(parts(sizeChart(one)!).labels).toEqual(['d base', 'd This PR']);
    expect(parts(sizeChart(one)!).bars).toEqual([2, 2.5]);
  });

  it("picks the unit the largest figure reaches, in the report's units, with three significant digits", () => {
    expect(chartUnit(999, 'decimal')).toEqual({ unit: 'B', divisor: 1 });
    expect(chartUnit(1000, 'decimal')).toEqual({ unit: 'kB', divisor: 1000 });
    expect(chartUnit(3 * 1024 ** 3, 'binary')).toEqual({ unit: 'GiB', divisor: 1024 ** 3 });
    const small = report([variant('tiny', 1, built(123_456, 2), built(98_765, 2))]);
    expect(parts(sizeChart(small)!).title).toBe('Size in kB, base and This PR');
    expect(parts(sizeChart(small)!).bars).toEqual([99, 123]); // three significant digits of the largest
    const big = { ...report([variant('big', 1, built(2.5 * 1024 ** 3, 2), built(2 * 1024 ** 3, 2))]), units: 'binary' as const };
    expect(parts(sizeChart(big, 'This commit')!)).toMatchObject({ title: 'Size in GiB, base and This commit', bars: [2, 2.5] });
  });

  it(`shows at most ${CHART_VARIANTS} variants, those that changed most, in report order, lying down, and says so`, () => {
    const variants = Array.from({ length: 14 }, (_, i) =>
      variant(`v${i}`, 1, built(10_000_000 + (i % 7) * 100_000, 3), built(10_000_000, 3)),
    );
    const chart = sizeChart(report(variants))!;
    expect(chart.split('\n')[1]).toBe('xychart-beta horizontal');
    const p = parts(chart);
    expect(p.title).toBe(`Size in MB, base and This PR, the ${CHART_VARIANTS} of 14 variants that changed most`);
    // Changes are (i % 7) * 100 kB: the four with i % 7 of 0 or 1 (v0, v1, v7, v8) changed least.
    expect(p.labels.filter((l) => l.endsWith(' base')).map((l) => l.split(' ')[0])).toEqual([
      'v2',
      'v3',
      'v4',
      'v5',
      'v6',
      'v9',
      'v10',
      'v11',
      'v12',
      'v13',
    ]);
    // Ties: the earlier variant stays.
    const ties = Array.from({ length: 12 }, (_, i) => variant(`t${i}`, 1, built(2_000_000, 3), built(1_000_000, 3)));
    expect(parts(sizeChart(report(ties))!).labels.filter((l) => l.endsWith(' base'))).toEqual(
      ties.slice(0, CHART_VARIANTS).map((v) => `${v.name} base`),
    );
    // Four variants already lie down; three stand.
    expect(sizeChart(report(variants.slice(0, 4)))!.split('\n')[1]).toBe('xychart-beta horizontal');
    expect(sizeChart(report(variants.slice(0, 3)))!.split('\n')[1]).toBe('xychart-beta');
  });

  it('turns every hostile string into an inert label: no quote, bracket, directive, entity, backtick or line break', () => {
    for (const hostile of HOSTILE) {
      const name = `${hostile} (linux/arm64)`;
      const r = report([variant(name, 1, built(3_000_000, 3), built(2_000_000, 3))]);
      const block = sizeChartBlock(r, hostile)!;
      const lines = block.split('\n');
      expect(lines[0]).toBe('```mermaid');
      expect(lines.at(-1)).toBe('```');
      expect(lines).toHaveLength(8); // fences, init, type, title, x-axis, y-axis, bar: nothing added a line
      const chart = lines.slice(1, -1).join('\n');
      const p = parts(chart);
      expect(p.labels).toEqual([`${chartLabel(name, 60)} base`, `${chartLabel(name, 60)} ${chartLabel(hostile, 20) || 'this change'}`]);
      for (const text of [...p.labels, p.title]) expect(text).toMatch(/^[A-Za-z0-9 ._()/+,-]+$/);
      const text = chart.split('\n').filter((l) => /^ {2}(title|x-axis) /.test(l));
      expect(text).toHaveLength(2);
      for (const line of text) expect(line).not.toMatch(/%%|#|`|;|<|>|&|\\|\{|\}|:/);
    }
    expect(chartLabel('a"b`c\nd', 60)).toBe('a_b_c d');
    expect(chartLabel('x'.repeat(100), 10)).toBe('xxxxxxxxx_');
  });
});

describe('the chart in the comment', () => {
  it('comes after the main table and the comparisons, as a mermaid block, in the comment and the job summary', () => {
    const md = renderMarkdown(example, { headLabel: 'This PR', maxLength: COMMENT_LIMIT });
    const chart = md.indexOf('```mermaid\n');
    expect(chart).toBeGreaterThan(md.indexOf('is **74.7% smaller**'));
    expect(chart).toBeLessThan(md.indexOf('<summary>Budgets</summary>'));
    expect(md).toContain(sizeChartBlock(example, 'This PR')!);
    expect(renderMarkdown(example, { headLabel: 'This PR' })).toContain(sizeChartBlock(example, 'This PR')!);
  });

  it('is dropped before any table or section, and the comment says it was left out', () => {
    const options = { headLabel: 'This PR' };
    const first = writeMarkdown(example, options, { ...FULL_DETAIL, ...DETAIL_STEPS[0] });
    expect(first).toContain('```mermaid');
    // One character less than the first step needs: the chart goes, every table stays.
    const md = renderMarkdown(example, { ...options, maxLength: first.length - 1 });
    expect(md).not.toContain('```mermaid');
    for (const part of [
      '| Variant ',
      '<summary>Budgets</summary>',
      '<summary>Where it grew',
      '<summary>Largest layers</summary>',
      '<summary>Wasted space',
    ]) {
      expect(md).toContain(part);
    }
    expect(md).toContain('**Shortened to fit:** left out the chart.');
    // Whatever the limit, a comment with the chart has every table the full one has.
    const full = renderMarkdown(example, options);
    const tables = (text: string) => text.split('\n').filter((l) => /^\| :?-/.test(l)).length;
    for (let limit = full.length; limit > 2_000; limit -= 97) {
      const fitted = renderMarkdown(example, { ...options, maxLength: limit });
      expect(fitted.length).toBeLessThanOrEqual(limit);
      if (fitted.includes('```mermaid')) expect(tables(fitted)).toBe(tables(full));
    }
  });
});
