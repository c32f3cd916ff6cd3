// The comment's chart, drawn by the mermaid library in Debian's Chromium: from real reports (the example's saved
// report, and the same report under hostile variant names), each figure is one bar of the right relative height,
// the labels are what the report says, and mermaid draws no error. PNGs of the drawings go to test-artifacts/.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartLabel, CHART_VARIANTS } from '../../src/render/chart.js';
import { COMMENT_LIMIT, renderMarkdown } from '../../src/render/markdown.js';
import type { Report, VariantReport } from '../../src/report/types.js';
import { startMermaidBrowser, type Drawing, type MermaidBrowser } from '../support/browser.js';
import { HOSTILE } from '../support/hostile-strings.js';

const example = JSON.parse(readFileSync(new URL('../fixtures/reports/example-pull-request.json', import.meta.url), 'utf8')) as Report;

let browser: MermaidBrowser;
beforeAll(async () => {
  browser = await startMermaidBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** The mermaid block of a rendered comment (exactly one). */
function chartOf(markdown: string): string {
  const blocks = [...markdown.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)];
  expect(blocks).toHaveLength(1);
  return blocks[0][1];
}

/** The sizes the chart must show, in its order: base, head per variant with both built. */
function figures(report: Report): number[] {
  return report.variants.flatMap((v) =>
    v.head.status === 'built' && v.base?.status === 'built' ? [v.base.sizeBytes, v.head.sizeBytes] : [],
  );
}

/** A drawing without mermaid's error: no exception, no error SVG, no "Syntax error" anywhere in it. */
function expectDrawn(drawing: Drawing): void {
  expect(drawing.error).toBeUndefined();
  expect(drawing.svg).toContain('aria-roledescription="xychart"');
  expect(drawing.svg).not.toMatch(/Syntax error|error-icon"|class="error-text"/);
  expect(drawing.texts.join('\n')).not.toMatch(/Syntax error|Parse error|Lexical error/i);
}

/** Bar lengths are a linear function of the figures (the axis starts at 0 a few pixels in): checked from the two extremes. */
function expectProportional(lengths: number[], values: number[]): void {
  expect(lengths).toHaveLength(values.length);
  const lo = values.indexOf(Math.min(...values));
  const hi = values.indexOf(Math.max(...values));
  const scale = (lengths[hi] - lengths[lo]) / (values[hi] - values[lo] || 1);
  for (let i = 0; i < values.length; i++) {
    expect(Math.abs(lengths[lo] + (values[i] - values[lo]) * scale - lengths[i])).toBeLessThan(1.5);
  }
  for (const l of lengths) expect(l).toBeGreaterThan(0);
}

/** The example's report with its variants renamed (and copied, to have `count` of them). */
function renamed(names: string[]): Report {
  const variants: VariantReport[] = names.map((name, i) => {
    const source = example.variants[i % example.variants.length];
    return { ...source, name };
  });
  return { ...example, variants, comparisons: [], budgets: [] };
}

describe('the chart in the comment, drawn by mermaid in Chromium', () => {
  it("draws the example pull request's report: one bar per figure, base and this change side by side, no error", async () => {
    const comment = renderMarkdown(example, { headLabel: 'This PR', maxLength: COMMENT_LIMIT });
    const drawing = await browser.draw(chartOf(comment), 'chart-example.png');
    expectDrawn(drawing);
    expect(drawing.categories).toEqual(['single-stage base', 'single-stage This PR', 'multi-stage base', 'multi-stage This PR']);
    expect(drawing.title).toBe('Size in MB, base and This PR');
    const values = figures(example);
    expect(drawing.bars).toHaveLength(values.length);
    expectProportional(
      drawing.bars.map((b) => b.height),
      values,
    );
    // The example: single-stage the same size on both sides, multi-stage a little larger in this change.
    const [singleBase, singleHead, multiBase, multiHead] = drawing.bars.map((b) => b.height);
    expect(Math.abs(singleBase - singleHead)).toBeLessThan(0.5);
    expect(multiHead).toBeGreaterThan(multiBase);
    expect(singleBase).toBeGreaterThan(multiHead * 3);
  });

  it('draws the job summary chart the same, in binary units when the report says so', async () => {
    const binary = { ...example, units: 'binary' as const };
    const summary = renderMarkdown(binary, { headLabel: 'This commit' });
    const drawing = await browser.draw(chartOf(summary), 'chart-binary.png');
    expectDrawn(drawing);
    expect(drawing.title).toBe('Size in MiB, base and This commit');
    expect(drawing.bars).toHaveLength(4);
    expectProportional(
      drawing.bars.map((b) => b.height),
      figures(binary),
    );
  });

  it('draws every hostile string as a variant name (with a platform suffix) as an inert label, without an error', async () => {
    for (const [i, hostile] of HOSTILE.entries()) {
      const name = `${hostile} (linux/arm64)`;
      const report = renamed([name, 'plain']);
      const drawing = await browser.draw(
        chartOf(renderMarkdown(report, { headLabel: hostile })),
        i === 0 ? 'chart-hostile-0.png' : undefined,
      );
      expectDrawn(drawing);
      expect(drawing.bars).toHaveLength(4);
      const label = chartLabel(name, 60);
      const head = chartLabel(hostile, 20) || 'this change';
      expect(drawing.categories).toEqual([`${label} base`, `${label} ${head}`, 'plain base', `plain ${head}`]);
      for (const text of drawing.categories) expect(text).toMatch(/^[A-Za-z0-9 ._()/+-]+$/);
    }
  });

  it(`lays the bars down for many variants, and keeps the ${CHART_VARIANTS} that changed most`, async () => {
    const report = renamed(HOSTILE.map((h, i) => `${h.slice(0, 30)}-${i}`));
    // The job summary's rendering: in the comment, 45 variants' tables leave no room for the chart (render-fit.test.ts).
    const drawing = await browser.draw(chartOf(renderMarkdown(report)), 'chart-many.png');
    expectDrawn(drawing);
    expect(drawing.title).toBe(`Size in MB, base and This PR, the ${CHART_VARIANTS} of ${HOSTILE.length} variants that changed most`);
    expect(drawing.bars).toHaveLength(2 * CHART_VARIANTS);
    // Horizontal: the bars' widths carry the figures, and every variant shown is one of the multi-stage ones (the
    // example's single-stage variant did not change).
    expect(drawing.categories.filter((c) => c.endsWith(' base'))).toHaveLength(CHART_VARIANTS);
    const multi = report.variants.filter((_, i) => i % 2 === 1).slice(0, CHART_VARIANTS);
    expectProportional(
      drawing.bars.map((b) => b.width),
      multi.flatMap((v) => [v.base!.status === 'built' ? v.base!.sizeBytes : 0, v.head.status === 'built' ? v.head.sizeBytes : 0]),
    );
  });
});
