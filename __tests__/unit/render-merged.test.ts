// One comment for several reports (a matrix's): the order of the sections, the one verdict, fitting in
// GitHub's limit, and hostile text in report names and file names.
import { describe, expect, it } from 'vitest';
import { COMMENT_LIMIT, commentMarker, renderMarkdown, SUMMARY_LIMIT, utf8Length } from '../../src/render/markdown.js';
import { orderReports, renderMergedMarkdown, worstStatus, type ReportSection } from '../../src/render/merged-markdown.js';
import type { Report } from '../../src/report/types.js';
import { HOSTILE } from '../support/hostile-strings.js';
import { activeParts, parseMarkdown, showsLiterally, unclosedBlocks } from '../support/markdown-check.js';
import { built, report, variant } from '../support/report-fixture.js';

const MARKER = commentMarker('default');

function passing(name?: string): Report {
  const r = report([variant('app', 1, built(5_000_000, 4), built(4_000_000, 4))], { app: { maxSize: 10_000_000 } });
  return name === undefined ? r : { ...r, name };
}
function failing(name?: string): Report {
  const r = report([variant('app', 1, built(5_000_000, 4), built(4_000_000, 4))], { app: { maxSize: 1_000_000 } });
  return name === undefined ? r : { ...r, name };
}
function cancelled(name?: string): Report {
  const r = passing(name);
  return { ...r, status: 'cancelled', cancelled: { signal: 'SIGTERM' }, variants: [{ ...r.variants[0], head: { status: 'cancelled' } }] };
}
/** A report of many variants, each with long failure output: a few of them overflow a comment. */
function large(name: string, variants = 40): Report {
  const log = Array.from({ length: 200 }, (_, i) => `step output line ${i} `.repeat(8));
  return {
    ...report(
      Array.from({ length: variants }, (_, i) =>
        i % 2
          ? variant(`v${i}`, 1, built(1_100_000 + i, 5), built(1_000_000, 5)) // grown past min-change: all their rows
          : variant(`v${i}`, 1, { status: 'failed', error: 'exit code: 1', failedStep: `[2/3] RUN make ${i}`, log }, built(1_000_000, 5)),
      ),
    ),
    name,
  };
}

const section = (file: string, r: Report): ReportSection => ({ file, report: r });
/** The section headings, in order. */
const headings = (md: string) =>
  md.split('\n').filter((l) => l.startsWith('### ') && !l.includes('failed to build') && !l.includes('Failed builds'));

describe('the order of the sections', () => {
  const sections = [
    section('reports/c/image-size.json', passing()),
    section('reports/b.json', passing('linux/arm64')),
    section('reports/a.json', passing('linux/amd64')),
    section('reports/Z.json', passing()),
    section('reports/d.json', passing('Linux/amd64')),
    section('reports/0.json', passing('linux/amd64')),
  ];

  it('is by name (code units, not the locale), unnamed reports after, by file; ties by file', () => {
    expect(orderReports(sections).map((s) => s.file)).toEqual([
      'reports/d.json', // "Linux/amd64": upper case sorts before lower case by code units
      'reports/0.json', // "linux/amd64", and then by file
      'reports/a.json',
      'reports/b.json',
      'reports/Z.json',
      'reports/c/image-size.json',
    ]);
  });

  it('does not depend on the order the files came in', () => {
    const expected = orderReports(sections).map((s) => s.file);
    for (let i = 0; i < 20; i++) {
      const shuffled = [...sections].sort(() => Math.random() - 0.5);
      expect(orderReports(shuffled).map((s) => s.file)).toEqual(expected);
      expect(renderMergedMarkdown(shuffled, [], { marker: MARKER })).toBe(renderMergedMarkdown(sections, [], { marker: MARKER }));
    }
  });
});

describe('the one verdict', () => {
  it('is the worst: fail over cancelled over pass; a refused report counts as a failure', () => {
    expect(worstStatus([passing(), passing()])).toBe('pass');
    expect(worstStatus([passing(), cancelled()])).toBe('cancelled');
    expect(worstStatus([cancelled(), failing(), passing()])).toBe('fail');
    expect(worstStatus([passing()], 1)).toBe('fail');
  });

  it('says which reports fail, were refused or were cancelled, once, above the sections', () => {
    const md = renderMergedMarkdown(
      [section('r/a.json', passing('amd64')), section('r/b.json', failing('arm64')), section('r/c.json', cancelled('s390x'))],
      ['r/bad.json'],
      { marker: MARKER },
    );
    const top = md.slice(0, md.indexOf('\n### '));
    expect(top).toBe(
      [
        MARKER,
        '## Image size report',
        '',
        '❌ 1 of 4 reports fails: arm64.',
        '',
        '❌ 1 of 4 reports was refused and is not shown (not a valid report, or not of the commit the run built; the log of this step says why): `r/bad.json`.',
        '',
        '⏹️ 1 of 4 reports is of a run that was cancelled before it finished: s390x.',
        '',
      ].join('\n'),
    );
    expect(headings(md)).toEqual(['### ✅ amd64', '### ❌ arm64', '### ⏹️ s390x']);
    expect(md.split('## Image size report')).toHaveLength(2);
    expect(md.split(MARKER)).toHaveLength(2);
  });

  it('when all pass, says so; each section is the report as its own comment shows it, under its title', () => {
    const a = passing('amd64');
    const md = renderMergedMarkdown([section('b.json', passing()), section('a.json', a)], [], { marker: MARKER });
    expect(md.startsWith(`${MARKER}\n## Image size report\n\n✅ All 2 reports pass.\n\n### ✅ amd64\n`)).toBe(true);
    expect(headings(md)).toEqual(['### ✅ amd64', '### ✅ `b.json`']);
    const alone = renderMarkdown(a).replace('## Image size report', '### ✅ amd64');
    expect(md).toContain(alone);
    expect(renderMergedMarkdown([section('a.json', a)], [])).toMatch(/^## Image size report\n\n✅ The report passes\.\n/);
  });
});

describe('fitting in a comment', () => {
  it('shares the room: short sections whole, long ones shortened, every section there, under the limit', () => {
    const sections = [
      section('1.json', passing('short one')),
      section('2.json', large('big one')),
      section('3.json', large('big two')),
      section('4.json', failing('short two')),
    ];
    expect(sections.reduce((n, s) => n + renderMarkdown(s.report).length, 0)).toBeGreaterThan(3 * COMMENT_LIMIT);
    const md = renderMergedMarkdown(sections, [], { marker: MARKER, maxLength: COMMENT_LIMIT, fullReport: 'the job summary' });
    expect(md.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    // Room a short section does not use goes to the long ones: the comment is nearly full.
    expect(md.length).toBeGreaterThan(COMMENT_LIMIT * 0.85);
    expect(headings(md)).toEqual(['### ❌ big one', '### ❌ big two', '### ✅ short one', '### ❌ short two']);
    expect(md).toContain(renderMarkdown(passing('short one')).replace('## Image size report', '### ✅ short one'));
    expect(md.match(/\*\*Shortened to fit:\*\*/g)).toHaveLength(2);
    expect(md.split(MARKER)).toHaveLength(2);
    expect(unclosedBlocks(md)).toEqual([]);
  });

  it('with more reports than fit even bare, leaves sections out from the end and says so', () => {
    const sections = Array.from({ length: 100 }, (_, i) => section(`r/${String(i).padStart(3, '0')}.json`, large(`job ${i}`, 4)));
    const md = renderMergedMarkdown(sections, [], { marker: MARKER, maxLength: 1_200 });
    expect(md.length).toBeLessThanOrEqual(1_200);
    const shown = headings(md);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(100);
    expect(shown[0]).toBe('### ❌ job 0');
    expect(md).toContain(`**Shortened to fit:** left out the sections of ${100 - shown.length} reports.`);
    expect(md.startsWith(`${MARKER}\n## Image size report\n\n❌ 100 of 100 reports fail: job 0, job 1,`)).toBe(true);
  });

  it('the job summary counts bytes, and has room for what the comment left out', () => {
    const sections = [section('a.json', large('ünïcödé ✓', 60)), section('b.json', large('b', 60))];
    const summary = renderMergedMarkdown(sections, [], { maxLength: SUMMARY_LIMIT, measure: utf8Length });
    const comment = renderMergedMarkdown(sections, [], { marker: MARKER, maxLength: COMMENT_LIMIT });
    expect(utf8Length(summary)).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(summary.length).toBeGreaterThan(comment.length);
    expect(summary).not.toContain('<!--');
  });
});

describe('hostile text in report names and file names', () => {
  it.each(HOSTILE)('stays inert and shows literally: %j', (payload) => {
    const name = `N ${payload}`;
    const file = `reports/F ${payload}.json`;
    for (const maxLength of [undefined, COMMENT_LIMIT, 3_000]) {
      const md = renderMergedMarkdown(
        [section(file, failing()), section('ok.json', { ...passing(), name }), section('x.json', cancelled(`${name}${MARKER}`))],
        [`refused ${payload}`],
        { marker: MARKER, maxLength },
      );
      if (maxLength) expect(md.length).toBeLessThanOrEqual(maxLength);
      const tree = parseMarkdown(md);
      expect(activeParts(md, { allowStrong: true, tree })).toEqual([]);
      expect(unclosedBlocks(md, tree)).toEqual([]);
      expect(md.startsWith(`${MARKER}\n`)).toBe(true);
      expect(md.split(MARKER)).toHaveLength(2);
      for (const text of [name, file, `refused ${payload}`]) expect(showsLiterally(tree, text), text).toBe(true);
    }
  });
});
