// Every string of a report may be a stranger's (variant names, paths, steps, output, errors, refs; in a
// workflow_run follow-up the whole report). Put each hostile string into each string of a report in turn and
// check the whole comment: one marker, nothing active, every block closed, and the text shown as it was.
import { describe, expect, it } from 'vitest';
import { layerChanges } from '../../src/compare/compare.js';
import { commentMarker, renderMarkdown } from '../../src/render/markdown.js';
import { renderText } from '../../src/render/text.js';
import type { Report } from '../../src/report/types.js';
import { HOSTILE } from '../support/hostile-strings.js';
import { activeParts, flatText, parseMarkdown, unclosedBlocks, visibleTexts } from '../support/markdown-check.js';
import { built, report, variant } from '../support/report-fixture.js';
import { layer, withLayers } from '../support/layer-fixture.js';

const MARKER = commentMarker('default');
/** Fields whose values are names from a fixed set, not free text (a report failing that is rejected on reading). */
const ENUM_KEYS = new Set(['status', 'source', 'budget', 'quantity', 'outcome', 'units', 'kind']);

/** A variant with its layer changes, as the pipeline makes it. */
const grown = (...args: Parameters<typeof variant>) => {
  const v = variant(...args);
  return { ...v, layerChanges: layerChanges(v.base, v.head) };
};

/** Reports that between them render every part of the comment. */
function reports(): Report[] {
  const variants = () => [
    variant('app', 1, built(5_000_000, 4), built(4_000_000, 4)),
    variant('slim', 2, built(2_000_000, 3), {
      status: 'failed',
      error: 'the base build broke',
      failedStep: '[2/2] RUN base-step',
      log: ['base output'],
    }),
    variant('fresh', 1, built(1_000_000, 2), { status: 'absent', reason: 'no Dockerfile.fresh in the base' }),
    variant(
      'broken',
      1,
      { status: 'failed', error: 'exit code: 2', failedStep: '[2/3] RUN make all', log: ['make: *** error', 'second line'] },
      built(1_000_000, 2),
    ),
    // the base image changed, a layer grew, two were rebuilt with the same size: the split rows and the summary line
    grown(
      'layered',
      1,
      withLayers([
        layer('os-2', 'ADD os.tar /', 30_000_000, true),
        layer('run-2', 'RUN grow', 2_000_000),
        layer('cp-2', 'COPY a /a', 1_000),
        layer('wd-2', 'WORKDIR /w', 0),
      ]),
      withLayers([
        layer('os-1', 'ADD os.tar /', 29_000_000, true),
        layer('run-1', 'RUN grow', 1_000_000),
        layer('cp-1', 'COPY a /a', 1_000),
        layer('wd-1', 'WORKDIR /w', 0),
      ]),
    ),
    // nothing beyond min-change: one row
    grown('steady', 1, withLayers([layer('s-2', 'RUN same', 5_000_000)]), withLayers([layer('s-1', 'RUN same', 5_000_100)])),
  ];
  const budgets = { app: { maxSize: 1_000_000 }, slim: { maxRatio: { of: 'app', fraction: 0.9 } }, broken: { maxLayers: 3 } };
  return [
    report(variants(), budgets, { source: 'rebuild', ref: 'main', sha: 'c0ffee'.padEnd(40, '0') }),
    report(variants(), budgets, { source: 'rebuild', ref: 'main', error: 'the base could not be checked out: fatal: bad revision' }),
    report(variants(), budgets, { source: 'file', file: 'base-report.json', sha: 'feed'.padEnd(40, '1'), ref: 'main' }),
    // bases from a registry (the references and the registry's error text are untrusted too) and a rebuild
    report(
      variants().map((v, i) => ({
        ...v,
        baseSource: [
          { source: 'registry' as const, reference: 'ghcr.io/acme/app:main-app', digest: `sha256:${'d'.repeat(64)}` },
          { source: 'rebuild' as const },
          { source: 'registry' as const, reference: 'ghcr.io/acme/app:main-fresh', error: 'unauthorized: authentication required' },
          {},
        ][i],
      })),
      budgets,
      { source: 'mixed', ref: 'main', sha: 'c0ffee'.padEnd(40, '2') },
    ),
  ];
}

/** Distinct free-text string values of a report. */
function freeText(value: unknown, key = '', found = new Set<string>()): Set<string> {
  if (typeof value === 'string' && !ENUM_KEYS.has(key)) found.add(value);
  else if (Array.isArray(value)) value.forEach((item) => freeText(item, key, found));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) freeText(v, k, found);
  return found;
}

/** The report with every occurrence of `target` (a name is the same name everywhere) replaced. */
function replace<T>(value: T, target: string, by: string, key = ''): T {
  if (typeof value === 'string') return (value === target && !ENUM_KEYS.has(key) ? by : value) as T;
  if (Array.isArray(value)) return value.map((item) => replace(item, target, by, key)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v, target, by, k)])) as T;
  return value;
}

function check(markdown: string, shown: string[]): string[] {
  const tree = parseMarkdown(markdown);
  const problems = [...activeParts(markdown, { allowStrong: true, tree }), ...unclosedBlocks(markdown, tree)];
  if (!markdown.startsWith(`${MARKER}\n`)) problems.push('the marker is not first');
  if (markdown.split(MARKER).length !== 2) problems.push('more than one marker');
  const texts = visibleTexts(tree).map((t) => flatText(t.value));
  for (const text of shown)
    if (!texts.some((t) => t.includes(flatText(text)))) problems.push(`${JSON.stringify(text)} is not shown literally`);
  return problems;
}

// Full detail, and a limit so small that every shortened form (brief failures, no tables) is rendered too.
const LIMITS = [undefined, 2_000, 1_200];
const render = (r: Report, maxLength?: number) => renderMarkdown(r, { marker: MARKER, maxLength, fullReport: 'the job summary' });

const cases = reports().flatMap((base) => LIMITS.map((maxLength) => ({ base, maxLength, values: [...freeText(base)] })));

describe('the comment, with hostile text in every string of the report', () => {
  it.each(HOSTILE)('stays inert with %j in every string at once', (payload) => {
    const problems: string[] = [];
    for (const { base, maxLength, values } of cases) {
      // Each value gets a tag before the payload: where the tag shows, the payload must show as written.
      const tagged = (value: string, i: number) => `${value}QZX${i}P ${payload}`;
      const markdown = render(
        values.reduce((r, value, i) => replace(r, value, tagged(value, i)), base),
        maxLength,
      );
      if (maxLength) expect(markdown.length).toBeLessThanOrEqual(maxLength);
      const shown = values.map(tagged).filter((_, i) => markdown.includes(`QZX${i}P`));
      for (const problem of check(markdown, shown)) problems.push(`${maxLength ? `limit ${maxLength}: ` : ''}${problem}`);
    }
    expect(problems).toEqual([]);
  });

  it('shows most strings of the report, so the check above means something', () => {
    const { base, values } = cases[0];
    const markdown = render(values.reduce((r, value, i) => replace(r, value, `${value}QZX${i}P`), base));
    const shown = values.filter((_, i) => markdown.includes(`QZX${i}P`));
    expect(shown).toEqual(
      expect.arrayContaining(['app', 'broken', 'main', 'exit code: 2', '[2/3] RUN make all', 'make: *** error', 'the base build broke']),
    );
  });

  it('reaches every part of the comment with these reports', () => {
    const [full, noBase] = reports();
    const md = renderMarkdown(full, { marker: MARKER });
    for (const part of [
      'Failed step:',
      'Error:',
      'Last lines of output',
      'The base build of',
      '<summary>Budgets</summary>',
      'is **',
      'Base: rebuilt from',
      '↳ base image',
      '↳ own layers',
      'Also 2 layers rebuilt, same size (within 0.1%).',
      '**steady**: 1 layer rebuilt, same size (within 0.1%).',
      'no change beyond 0.1%',
    ]) {
      expect(md).toContain(part);
    }
    expect(renderMarkdown(noBase, { marker: MARKER })).toContain('Base: not available');
    const short = renderMarkdown(full, { marker: MARKER, maxLength: 1_300 });
    expect(short).toContain('### 💥 Failed builds');
    expect(short.length).toBeLessThanOrEqual(1_300);
  });

  it('a forged marker anywhere leaves exactly one marker, the first line', () => {
    const [base] = reports();
    let forged = base;
    for (const value of freeText(base)) forged = replace(forged, value, `${value}${MARKER}`);
    const md = renderMarkdown(forged, { marker: MARKER });
    expect(md.split(MARKER)).toHaveLength(2);
    expect(md.split('<!--')).toHaveLength(2);
    expect(md.startsWith(`${MARKER}\n`)).toBe(true);
  });
});

describe('the terminal report', () => {
  it('carries no escape sequence or control character from untrusted text', () => {
    const [base] = reports();
    let hostile = base;
    for (const value of freeText(base)) hostile = replace(hostile, value, `${value}\x1b]0;pwned\x07\x1b[2J\u202E\r::error::x`);
    const text = renderText(hostile);
    // eslint-disable-next-line no-control-regex -- control characters are what this checks for
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    expect(text).not.toMatch(/^::error::/m);
  });
});
