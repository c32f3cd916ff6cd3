// The comment must fit GitHub's 65,536 characters however many variants, layers and lines of output there are:
// detail goes first, the verdict and the rows of failing variants stay, and the body stays valid Markdown.
import { describe, expect, it } from 'vitest';
import { COMMENT_LIMIT, commentMarker, renderMarkdown, SUMMARY_LIMIT, utf8Length } from '../../src/render/markdown.js';
import type { Report, SideResult, VariantReport } from '../../src/report/types.js';
import type { Budget } from '../../src/settings/schema.js';
import { activeParts, parseMarkdown, unclosedBlocks } from '../support/markdown-check.js';
import { built, report, variant } from '../support/report-fixture.js';

const MARKER = commentMarker('default');
const FULL = 'the job summary and the JSON report';

/** A failed build whose output is `lines` lines of `width` characters, with backticks and HTML in them. */
function failed(lines: number, width: number, i = 0): SideResult {
  const line = (n: number) => `${n} \`\`\` <details> ${'x'.repeat(width)}`.slice(0, width);
  return {
    status: 'failed',
    error: `exit code: 1 ${'e'.repeat(5000)}`,
    failedStep: `[2/3] RUN make target-${i} ${'s'.repeat(1000)}`,
    log: Array.from({ length: lines }, (_, n) => line(n)),
  };
}

/** `count` variants; every `failEvery`-th fails to build with a huge log, every `breakEvery`-th breaks its budget. */
function manyVariants(
  count: number,
  options: { failEvery?: number; breakEvery?: number; logLines?: number; logWidth?: number } = {},
): Report {
  const { failEvery = 0, breakEvery = 0, logLines = 30, logWidth = 10_000 } = options;
  const variants: VariantReport[] = [];
  const budgets: Record<string, Budget> = {};
  for (let i = 0; i < count; i++) {
    const name = `variant-${String(i).padStart(4, '0')}`;
    const head = failEvery && i % failEvery === 0 ? failed(logLines, logWidth, i) : built(10_000_000 + i * 1000, 12, 20_000, 3, 9);
    variants.push(variant(name, 1 + (i % 2), head, built(9_000_000 + i * 1000, 11, 21_000)));
    budgets[name] = breakEvery && i % breakEvery === 1 ? { maxSize: 1_000_000 } : { maxSize: 1_000_000_000 };
  }
  return report(variants, budgets);
}

function problemNames(r: Report): string[] {
  return r.variants
    .filter((v) => v.head.status === 'failed' || r.budgets.some((c) => c.variant === v.name && c.outcome === 'fail'))
    .map((v) => v.name);
}

function expectValid(markdown: string, limit: number): void {
  expect(markdown.length).toBeLessThanOrEqual(limit);
  expect(markdown.startsWith(`${MARKER}\n## Image size report\n`)).toBe(true);
  const tree = parseMarkdown(markdown);
  expect(unclosedBlocks(markdown, tree)).toEqual([]);
  expect(activeParts(markdown, { allowStrong: true, tree })).toEqual([]);
}

describe('renderMarkdown with maxLength', () => {
  it('changes nothing when the report fits', () => {
    const r = manyVariants(5, { failEvery: 3, logLines: 3, logWidth: 40 });
    const full = renderMarkdown(r, { marker: MARKER });
    expect(full.length).toBeLessThan(COMMENT_LIMIT);
    expect(renderMarkdown(r, { marker: MARKER, maxLength: COMMENT_LIMIT, fullReport: FULL })).toBe(full);
    expect(full).not.toContain('Shortened to fit');
  });

  it('with 400 variants, 40 failing with huge logs and 40 over budget: keeps the verdict and every failing row', () => {
    const r = manyVariants(400, { failEvery: 10, breakEvery: 10 });
    const full = renderMarkdown(r, { marker: MARKER });
    expect(full.length).toBeGreaterThan(COMMENT_LIMIT * 10);
    const md = renderMarkdown(r, { marker: MARKER, maxLength: COMMENT_LIMIT, fullReport: FULL });
    expectValid(md, COMMENT_LIMIT);
    expect(md).toContain('❌ 40 variants failed to build, 40 budgets broken.');
    for (const name of problemNames(r)) expect(md).toMatch(new RegExp(`^\\| (💥|❌) \\*\\*${name}\\*\\* +\\| Size`, 'm'));
    expect(md).toMatch(/\*\*Shortened to fit:\*\* left out .*build output.*\. The full report is in the job summary and the JSON report\./);
    expect(md.length).toBeGreaterThan(COMMENT_LIMIT * 0.8); // it uses the room it has
  });

  it('shortens build output before it drops a table row or a budget', () => {
    const r = manyVariants(6, { failEvery: 3, breakEvery: 3, logLines: 30, logWidth: 3_000 });
    const full = renderMarkdown(r, { marker: MARKER });
    const limit = 20_000;
    expect(full.length).toBeGreaterThan(limit);
    const md = renderMarkdown(r, { marker: MARKER, maxLength: limit, fullReport: FULL });
    expectValid(md, limit);
    for (const v of r.variants) expect(md).toContain(`**${v.name}**`);
    expect(md).toContain('<summary>Budgets</summary>');
    expect(md).toContain('[20 lines left out]');
    expect(md).toContain('left out build output beyond the last 10 lines.');
  });

  it('with 2,000 failing variants, shows as many failing rows as fit and counts the rest', () => {
    const r = manyVariants(2_000, { failEvery: 1, logLines: 2, logWidth: 100 });
    const md = renderMarkdown(r, { marker: MARKER, maxLength: COMMENT_LIMIT, fullReport: FULL });
    expectValid(md, COMMENT_LIMIT);
    expect(md).toContain('❌ 2000 variants failed to build.');
    const rows = md.split('\n').filter((line) => /^\| 💥 \*\*variant-\d+\*\*/.test(line)).length;
    expect(rows).toBeGreaterThan(100);
    expect(md).toContain(`left out the rows of ${2_000 - rows} failing variants`);
  });

  it('with 1,000 variants that all pass, keeps as many rows as fit', () => {
    const r = manyVariants(1_000);
    const md = renderMarkdown(r, { marker: MARKER, maxLength: COMMENT_LIMIT, fullReport: FULL });
    expectValid(md, COMMENT_LIMIT);
    expect(md).toContain('✅ All 1000 budget checks pass.');
    const rows = md.split('\n').filter((line) => /^\| ✅ \*\*variant-\d+\*\*/.test(line)).length;
    expect(rows).toBeGreaterThan(50);
    expect(md).toContain(`left out the rows of ${1_000 - rows} variants that built within budget, the chart and the budget table.`);
  });

  it('fits the job summary in bytes, not characters', () => {
    const r = manyVariants(3_000, { breakEvery: 2 });
    const md = renderMarkdown(r, { maxLength: SUMMARY_LIMIT, measure: utf8Length, fullReport: 'the JSON report' });
    expect(md.length).toBeLessThan(SUMMARY_LIMIT); // emoji take 4 bytes: characters alone would not have fitted
    expect(utf8Length(md)).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(utf8Length(md)).toBeGreaterThan(SUMMARY_LIMIT * 0.8);
    // No build output here, so every <details> is ours, one to a line (parsing a megabyte would take long).
    expect(md.match(/^<details/gm)?.length).toBe(md.match(/^<\/details>$/gm)?.length);
    expect(md).toContain('❌ 1500 budgets broken.');
  });

  it('falls back to the verdict alone when nothing else fits', () => {
    const r = manyVariants(10, { failEvery: 2 });
    const md = renderMarkdown(r, { marker: MARKER, maxLength: 300, fullReport: FULL });
    expect(md.length).toBeLessThanOrEqual(300);
    expect(md).toBe(
      `${MARKER}\n## Image size report\n\n❌ 5 variants failed to build.\n\n**Shortened to fit:** the full report is in ${FULL}.\n`,
    );
  });
});
