// The report of a cancelled run, as the comment renderer (job summary), the terminal and the budget checks show
// it: what was measured by then with its figures, the rest as not measured, and why.
import { describe, expect, it } from 'vitest';
import { evaluateBudgets, failsRun } from '../../src/judge/budgets.js';
import { describeCancel, measuredCount } from '../../src/render/format.js';
import { renderCancelledNotice, renderMarkdown } from '../../src/render/markdown.js';
import { renderText } from '../../src/render/text.js';
import type { Report, SideResult } from '../../src/report/types.js';
import { built, report, variant } from '../support/report-fixture.js';
import { parseMarkdown, unclosedBlocks } from '../support/markdown-check.js';

const NOT_MEASURED: SideResult = { status: 'cancelled' };

/**
 * Cancelled by SIGTERM while the base of `app` built: `app` measured on this change only, `worker` not built at
 * all; the base was being rebuilt (its commit known).
 */
function cancelledReport(extra: Partial<Report> = {}): Report {
  const r = report(
    [
      variant('app', 1, built(4_200_000, 3, 2_000), { status: 'cancelled', during: 'build' }),
      variant('worker', 1, NOT_MEASURED, NOT_MEASURED),
    ],
    { app: { maxIncrease: { kind: 'bytes', bytes: 1_000 } }, worker: { maxSize: 5_000_000 } },
  );
  return { ...r, status: 'cancelled', cancelled: { signal: 'SIGTERM' }, ...extra };
}

describe('a cancelled run', () => {
  it('counts the images it measured among those it was to measure: this change, and the base when it is rebuilt', () => {
    expect(measuredCount(cancelledReport())).toEqual({ measured: 1, total: 4 });
    const fromFile = cancelledReport({ base: { source: 'file', file: 'saved.json' } });
    expect(measuredCount(fromFile)).toEqual({ measured: 1, total: 2 });
    expect(describeCancel(cancelledReport())).toBe(
      'The run was cancelled (SIGTERM) before it finished: 1 of 4 images measured; the others are shown as not measured.',
    );
    const all = report([variant('app', 1, built(1_000, 1))], {}, { source: 'none' });
    expect(describeCancel({ ...all, cancelled: { signal: 'SIGINT' } })).toBe(
      'The run was cancelled (SIGINT) after every image was measured.',
    );
    expect(describeCancel(all)).toBeUndefined();
  });

  it('skips the budgets it could not check, saying the run was cancelled, and fails the run', () => {
    const r = cancelledReport();
    expect(
      evaluateBudgets(r.variants, { app: { maxIncrease: { kind: 'bytes', bytes: 1_000 } }, worker: { maxSize: 5_000_000 } }, []),
    ).toEqual([
      {
        variant: 'app',
        budget: 'max-increase',
        quantity: 'bytes',
        limit: 1_000,
        outcome: 'skipped',
        note: 'the base was not measured: the run was cancelled',
      },
      {
        variant: 'worker',
        budget: 'max-size',
        quantity: 'bytes',
        limit: 5_000_000,
        outcome: 'skipped',
        note: 'not measured: the run was cancelled',
      },
    ]);
    expect(failsRun(r, false)).toBe(true);
  });

  it('in Markdown: says it was cancelled and how far it got, shows the figures it has, and the rest as not measured', () => {
    const markdown = renderMarkdown(cancelledReport(), { headLabel: 'This PR' });
    const lines = markdown.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '## Image size report',
      '',
      '⏹️ The run was cancelled (SIGTERM) before it finished: 1 of 4 images measured; the others are shown as not measured.',
    ]);
    expect(markdown).not.toContain('All variants built');
    expect(markdown).toMatch(/^\| ✅ \*\*app\*\* +\| Size +\| not measured \| +4\.20 MB \| +— \|$/m);
    expect(markdown).toMatch(/^\| +\| Build time \| not measured \| +2\.0 s \| +— \|$/m);
    expect(markdown).toMatch(/^\| ⏹️ \*\*worker\*\* +\| Size +\| not measured \| not measured \| +— \|$/m);
    expect(markdown).toMatch(/^\| worker +\| max-size +\| 5\.00 MB \| +not measured: the run was cancelled \| +➖ +\|$/m);
    expect(unclosedBlocks(markdown, parseMarkdown(markdown))).toEqual([]);
  });

  it('in Markdown: still lists the failures and broken budgets among what it measured', () => {
    const r = cancelledReport();
    r.variants[1] = variant('worker', 1, { status: 'failed', error: 'exit code 2', log: [] }, NOT_MEASURED);
    const markdown = renderMarkdown(r);
    expect(markdown.split('\n').slice(2, 5)).toEqual([
      '⏹️ The run was cancelled (SIGTERM) before it finished: 2 of 4 images measured; the others are shown as not measured.',
      '',
      '❌ 1 variant failed to build.',
    ]);
    expect(markdown).toContain('### 💥 worker failed to build');
  });

  it('in Markdown: says the base was not rebuilt when the cancel came before its commit was known', () => {
    const r = cancelledReport({ base: { source: 'rebuild', ref: 'main' } });
    r.variants[0] = variant('app', 1, built(4_200_000, 3, 2_000), NOT_MEASURED);
    expect(renderMarkdown(r)).toContain('Base: not rebuilt, the run was cancelled first.');
    expect(renderMarkdown(cancelledReport())).toContain(`Base: rebuilt from \`main\` at \`aaaaaaa\`.`);
  });

  it('in the terminal: marks the variants not measured, says how far it got, and ends CANCELLED', () => {
    const text = renderText(cancelledReport());
    expect(text).toMatch(/^\| app +\| Size +\| not measured \| +4\.20 MB \| +— \|$/m);
    expect(text).toMatch(/^\| worker \(NOT MEASURED\) +\| Size +\| not measured \| not measured \| +— \|$/m);
    expect(text).toContain(
      '\nThe run was cancelled (SIGTERM) before it finished: 1 of 4 images measured; the others are shown as not measured.\n',
    );
    expect(text.trimEnd().endsWith('Result: CANCELLED')).toBe(true);
  });

  it('without a report: a summary of one sentence, for a cancel before anything was measured or a clean-up out of time', () => {
    expect(renderCancelledNotice('SIGINT', 'early')).toBe(
      '## Image size report\n\n⏹️ The run was cancelled (SIGINT) before anything was measured.\n',
    );
    expect(renderCancelledNotice('SIGTERM', 'overdue')).toBe(
      '## Image size report\n\n⏹️ The run was cancelled (SIGTERM), and its clean-up did not finish in time, so it has no report. The log says what it may have left in the Docker engine.\n',
    );
  });
});
