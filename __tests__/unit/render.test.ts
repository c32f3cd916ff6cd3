import { describe, expect, it } from 'vitest';
import { describeBreach, formatBytes, formatDuration, formatSignedPercent } from '../../src/render/format.js';
import { codeBlock, codeSpan, commentMarker, escapeInline, renderMarkdown } from '../../src/render/markdown.js';
import { renderText } from '../../src/render/text.js';
import { built, report, variant } from '../support/report-fixture.js';

const twoVariants = () =>
  report(
    [
      variant('single-stage', 1, built(412_300_000, 9, 72_000), built(410_000_000, 9, 70_000)),
      variant('multi-stage', 2, built(91_200_000, 6, 40_000, 5, 9), built(90_000_000, 6, 41_000)),
    ],
    { 'multi-stage': { maxSize: 90e6, maxRatio: { of: 'single-stage', fraction: 0.5 } } },
  );

describe('formatting', () => {
  it('shows sizes with three significant digits, in the chosen units', () => {
    expect(formatBytes(412_300_000, 'decimal')).toBe('412 MB');
    expect(formatBytes(74_800_000, 'decimal')).toBe('74.8 MB');
    expect(formatBytes(1_234_000_000, 'decimal')).toBe('1.23 GB');
    expect(formatBytes(999, 'decimal')).toBe('999 B');
    expect(formatBytes(1024 ** 3 * 1.5, 'binary')).toBe('1.50 GiB');
    expect(formatBytes(-2_500_000, 'decimal')).toBe('-2.50 MB');
  });

  it('shows durations and signed percentages', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(72_000)).toBe('1m 12s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
    expect(formatSignedPercent(0.052)).toBe('+5.2%');
    expect(formatSignedPercent(-0.25)).toBe('-25.0%');
    expect(formatSignedPercent(0.0001)).toBe('0.0%');
  });

  it('describes a breach with the variant, the budget, the limit and the measured value', () => {
    const [check] = twoVariants().budgets;
    expect(describeBreach(check, 'decimal')).toBe('multi-stage: budget max-size broken: size 91.2 MB is over the limit of 90.0 MB.');
  });
});

describe('renderMarkdown', () => {
  it('puts the marker first and shows base, this PR and change for size, layers and build time', () => {
    const md = renderMarkdown(twoVariants(), { marker: commentMarker('default') });
    expect(md.startsWith('<!-- image-size-report:default -->\n')).toBe(true);
    expect(md).toMatch(/\| Variant +\| +\| +Base \| +This PR \| +Change \|/);
    expect(md).toMatch(/\| ✅ \*\*single-stage\*\* \| Size +\| +410 MB \| +412 MB \| \+2\.30 MB \(\+0\.6%\) \|/);
    expect(md).toMatch(/\| +\| Layers +\| +9 \| +9 \| +0 \|/);
    expect(md).toMatch(/\| +\| Build time +\| +41\.0 s \| 40\.0 s \(5\/9 cached\) \| +-1\.0 s \|/);
  });

  it('says how much smaller the multi-stage variant is, and which budget broke', () => {
    const md = renderMarkdown(twoVariants());
    expect(md).toContain('**multi-stage** is **77.9% smaller** than **single-stage** (91.2 MB vs 412 MB).');
    expect(md).toContain('❌ 1 budget broken.');
    expect(md).toContain('- multi-stage: budget max-size broken: size 91.2 MB is over the limit of 90.0 MB.');
    expect(md).toMatch(/\| ❌ \*\*multi-stage\*\* +\| Size/);
    expect(md).toContain('<details open><summary>Budgets</summary>');
  });

  it('shows only this change when there is no base, and says which units it uses', () => {
    const md = renderMarkdown(report([variant('app', 1, built(5_000_000, 2))], {}, { source: 'none' }));
    expect(md).toMatch(/\| Variant +\| +\| +This PR \|/);
    expect(md).not.toContain('Change');
    expect(md).toContain('decimal units (1 MB = 1,000,000 bytes)');
    expect(md).toContain('✅ All variants built.');
  });

  it('names the engine where it describes it: its host and what chose it (none for reports that do not say)', () => {
    const r = twoVariants();
    expect(renderMarkdown(r)).toMatch(/Docker 20\.10\.24, overlay2; /);
    const remote = {
      ...r,
      engine: { ...r.engine, endpoint: { host: 'tcp://127.0.0.1:23760', from: 'context' as const, context: 'remote' } },
    };
    expect(renderMarkdown(remote)).toContain('Docker 20.10.24 at `tcp://127.0.0.1:23760` (context `remote`), overlay2; ');
    const local = { ...r, engine: { ...r.engine, endpoint: { host: 'unix:///var/run/docker.sock', from: 'default' as const } } };
    expect(renderMarkdown(local)).toContain('Docker 20.10.24 at `unix:///var/run/docker.sock` (default), overlay2; ');
    const hostile = {
      ...r,
      engine: { ...r.engine, endpoint: { host: 'tcp://a`@here <b>', from: 'context' as const, context: '` **x**' } },
    };
    expect(renderMarkdown(hostile)).toContain('at ``tcp://a`@here <b>`` (context `` ` **x** ``)');
  });

  it('reports a failed variant with its failing step and output, the others still measured', () => {
    const r = report([
      variant('ok', 1, built(5_000_000, 2), built(5_000_000, 2)),
      variant(
        'broken',
        1,
        { status: 'failed', error: 'exit code: 2', failedStep: '[2/3] RUN make', log: ['make: *** [all] Error 2'] },
        built(1, 1),
      ),
    ]);
    const md = renderMarkdown(r);
    expect(r.status).toBe('fail');
    expect(md).toContain('❌ 1 variant failed to build.');
    expect(md).toContain('### 💥 broken failed to build');
    expect(md).toContain('Failed step: `[2/3] RUN make`');
    expect(md).toContain('```text\nmake: *** [all] Error 2\n```');
    // nothing changed beyond min-change (the default 0.1%): one row
    expect(md).toMatch(/\| ✅ \*\*ok\*\* +\| Size +\| +5\.00 MB \| +5\.00 MB \| +no change beyond 0\.1% \|/);
  });

  it('keeps untrusted text from breaking out of its cell, code span or code block (more in escape.test.ts)', () => {
    expect(escapeInline('a|b\n<img src=x> @team #12 `x`')).toBe('a\\|b &lt;img src=x&gt; @&#8203;team #&#8203;12 \\`x\\`');
    expect(codeSpan('run `x` | y')).toBe('``run `x` \\| y``');
    expect(codeBlock('```\nhi')).toBe('````text\n```\nhi\n````');
    expect(escapeInline('x'.repeat(300)).length).toBe(200);
  });
});

describe('renderText', () => {
  it('prints the same table for a terminal, with the verdict', () => {
    const text = renderText(twoVariants());
    expect(text).toMatch(/\| multi-stage \(OVER BUDGET\) \| Size +\| +90\.0 MB \| +91\.2 MB \| \+1\.20 MB \(\+1\.3%\) \|/);
    expect(text).toContain('multi-stage is 77.9% smaller than single-stage (91.2 MB vs 412 MB).');
    expect(text).toContain('multi-stage: budget max-size broken: size 91.2 MB is over the limit of 90.0 MB.');
    expect(text.trimEnd().endsWith('Result: FAIL')).toBe(true);
    expect(text).not.toContain('**');
  });
});
