// Which files report-from names: a file, a directory's *.json, a glob; in a stable order; within the limits.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findReportFiles, MAX_REPORTS, readReports } from '../../src/action/report-files.js';
import { InputError } from '../../src/errors.js';
import { built, report, variant } from '../support/report-fixture.js';
import { tempDir } from '../support/workspace.js';

function workspace(files: Record<string, string>): string {
  const dir = tempDir('report-files');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}
const rel = (dir: string, files: string[]) => files.map((f) => path.relative(dir, f));
const GOOD = JSON.stringify(report([variant('app', 1, built(1_000, 1))]));

describe('findReportFiles', () => {
  const dir = workspace({
    'reports/b.json': '{}',
    'reports/A.json': '{}',
    'reports/notes.txt': '',
    'reports/job-2/image-size-report-default.json': '{}',
    'reports/job-1/image-size-report-default.json': '{}',
  });

  it('a file is one report, even when it does not exist yet (reading it says so)', () => {
    expect(findReportFiles('reports/b.json', dir)).toEqual({ form: 'file', files: [path.join(dir, 'reports/b.json')] });
    expect(findReportFiles('missing.json', dir).form).toBe('file');
  });

  it("a directory is its *.json files, not its folders' files; sorted by code units", () => {
    const found = findReportFiles('reports', dir);
    expect(found.form).toBe('directory');
    expect(rel(dir, found.files)).toEqual(['reports/A.json', 'reports/b.json']);
  });

  it('a glob, relative to the working directory or absolute, reaches a folder per artifact', () => {
    expect(rel(dir, findReportFiles('reports/**/*.json', dir).files)).toEqual([
      'reports/A.json',
      'reports/b.json',
      'reports/job-1/image-size-report-default.json',
      'reports/job-2/image-size-report-default.json',
    ]);
    expect(rel(dir, findReportFiles(`${dir}/reports/*/*.json`, '/').files)).toEqual([
      'reports/job-1/image-size-report-default.json',
      'reports/job-2/image-size-report-default.json',
    ]);
  });

  it('does not follow a symbolic link to a directory out of the download', () => {
    const outside = workspace({ 'secret/x.json': '{}' });
    const linked = workspace({ 'reports/a.json': '{}' });
    symlinkSync(path.join(outside, 'secret'), path.join(linked, 'reports', 'link'));
    expect(rel(linked, findReportFiles('reports/**/*.json', linked).files)).toEqual(['reports/a.json']);
  });

  it('names the input, the value and what it looked for when nothing matches', () => {
    expect(() => findReportFiles('artifacts/*.json', dir)).toThrow(InputError);
    expect(() => findReportFiles('artifacts/*.json', dir)).toThrow(
      /^report-from: "artifacts\/\*\.json" matched no file: looked for files matching that glob under /,
    );
    mkdirSync(path.join(dir, 'empty'), { recursive: true });
    expect(() => findReportFiles('empty', dir)).toThrow(/^report-from: "empty" is a directory with no \*\.json file in it\./);
  });

  it('refuses more than MAX_REPORTS files, and more than 20 MB together', () => {
    const many = workspace(Object.fromEntries(Array.from({ length: MAX_REPORTS + 1 }, (_, i) => [`r/${i}.json`, '{}'])));
    expect(() => findReportFiles('r', many)).toThrow(
      `report-from: "r" names ${MAX_REPORTS + 1} files, over the limit of ${MAX_REPORTS} reports`,
    );
    expect(findReportFiles('r/?.json', many).files).toHaveLength(10);
    const big = workspace(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`r/${i}.json`, 'x'.repeat(4_500_000)])));
    expect(() => findReportFiles('r', big)).toThrow(
      /^report-from: the 5 files "r" names hold 22500000 bytes together, over the limit of 20000000 bytes/,
    );
  });
});

describe('readReports', () => {
  it('refuses a bad report beside the good ones; a single file named directly throws as it always did', () => {
    const dir = workspace({ 'r/good.json': GOOD, 'r/bad.json': '{"schemaVersion": 2}' });
    const { reports, refused } = readReports(findReportFiles('r', dir), dir, undefined);
    expect(reports.map((r) => r.file)).toEqual(['r/good.json']);
    expect(refused).toEqual([
      { file: 'r/bad.json', error: expect.stringMatching(/^report-from: ".*\/r\/bad\.json" is not a valid image-size-report report/) },
    ]);
    expect(() => readReports(findReportFiles('r/bad.json', dir), dir, undefined)).toThrow(InputError);
  });

  it('on workflow_run, refuses a report of another commit, naming its file', () => {
    const dir = workspace({ 'r/good.json': GOOD });
    const { refused } = readReports(findReportFiles('r', dir), dir, 'c'.repeat(40));
    expect(refused).toEqual([
      {
        file: 'r/good.json',
        error: expect.stringMatching(
          /^report-from: "r\/good\.json": the report is for commit b{12}, but the workflow run that triggered this one built c{12}/,
        ),
      },
    ]);
    expect(readReports(findReportFiles('r', dir), dir, 'B'.repeat(40)).refused).toEqual([]);
  });
});
