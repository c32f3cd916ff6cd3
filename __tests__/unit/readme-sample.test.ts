// The README's sample comment is what the renderer makes of the example's saved report
// (__tests__/fixtures/reports/example-pull-request.json, written by the CLI's --json on the run that printed the
// sample): the sample stays true to the code, and a change of structure that alters the comment shows here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/render/markdown.js';
import type { Report } from '../../src/report/types.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const report = JSON.parse(readFileSync(new URL('../fixtures/reports/example-pull-request.json', import.meta.url), 'utf8')) as Report;

describe("the README's sample comment", () => {
  it('is the rendering of the example pull request report, byte for byte', () => {
    const start = readme.indexOf('<!-- SAMPLE-START -->');
    const end = readme.indexOf('<!-- SAMPLE-END -->');
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const sample = readme
      .slice(start + '<!-- SAMPLE-START -->'.length, end)
      .trim()
      .replace(/^---\n+/, '')
      .replace(/\n+---$/, '');
    // printed by the CLI (--markdown), whose column is headed "Current"
    expect(sample).toBe(renderMarkdown(report, { headLabel: 'Current' }).trim());
  });
});
