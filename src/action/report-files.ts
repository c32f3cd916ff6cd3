/**
 * `report-from`: which report files it names, and reading each of them as untrusted data. The value is a file
 * (one report, as the two-workflow setup for forks has always posted), a directory (its `*.json` files, as
 * `actions/download-artifact` with `merge-multiple: true` leaves a matrix's reports) or a glob (`reports/*.json`,
 * or `reports/**\/*.json` for download-artifact without merge-multiple, which leaves a folder per artifact).
 *
 * Each file is read by readUntrustedReport (size-bounded, validated, unknown fields dropped) and prepared by
 * untrustedReportForComment; on workflow_run, each must be of the commit the triggering run built. A report that
 * fails any of that is refused: it is left out of the comment, named in it and in an error, and the step fails;
 * the others are still posted (README, "One comment for a matrix").
 */
import { statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { InputError, messageOf, quote } from '../errors.js';
import { readUntrustedReport } from '../report/read-report.js';
import type { Report } from '../report/types.js';
import { untrustedReportForComment } from './untrusted.js';

/** A matrix is at most 256 jobs; a comment of 65,536 characters has room for the verdicts of about 100. */
export const MAX_REPORTS = 100;
/** All reports together (each is at most MAX_REPORT_BYTES, 5 MB). */
export const MAX_TOTAL_REPORT_BYTES = 20_000_000;

/** What `report-from` named: one file, or the files a directory or glob holds (absolute paths, sorted). */
export interface ReportFiles {
  form: 'file' | 'directory' | 'glob';
  files: string[];
}

/** The report files `value` names, relative to the working directory. Throws an InputError when it names none. */
export function findReportFiles(value: string, workingDirectory: string): ReportFiles {
  const target = path.resolve(workingDirectory, value);
  const stat = statOf(target);
  if (stat?.isDirectory()) {
    const files = matching('*.json', target);
    if (files.length === 0) {
      throw new InputError(
        `report-from: ${quote(value)} is a directory with no *.json file in it. It must hold the JSON reports the measuring jobs uploaded (their report output), downloaded before this step.`,
      );
    }
    return limited(value, { form: 'directory', files });
  }
  if (stat || !isDynamicPattern(value)) return { form: 'file', files: [target] }; // a missing file is refused as it is read
  const files = matching(value, workingDirectory);
  if (files.length === 0) {
    throw new InputError(
      `report-from: ${quote(value)} matched no file: looked for files matching that glob under ${quote(workingDirectory)}. It must match the JSON reports the measuring jobs uploaded, downloaded before this step (with download-artifact's merge-multiple: true, reports/*.json; without it, a folder per artifact: reports/**/*.json).`,
    );
  }
  return limited(value, { form: 'glob', files });
}

/** A report read and accepted, with the file it came from (relative to the working directory, for display). */
export interface ReadReport {
  file: string;
  report: Report;
}

/** A report refused, and why (an InputError's message, which names the file). */
export interface RefusedReport {
  file: string;
  error: string;
}

/**
 * Read each file as untrusted, re-derive what can be derived, and (on workflow_run) check its commit. With one
 * file named directly, its refusal is thrown, as it always was; otherwise refused reports are returned beside
 * the others.
 */
export function readReports(
  found: ReportFiles,
  workingDirectory: string,
  runSha: string | undefined,
): { reports: ReadReport[]; refused: RefusedReport[] } {
  const single = found.form === 'file';
  const reports: ReadReport[] = [];
  const refused: RefusedReport[] = [];
  for (const file of found.files) {
    const shown = path.relative(workingDirectory, file) || file;
    try {
      const report = untrustedReportForComment(readUntrustedReport(file, 'report-from'));
      if (runSha) checkReportCommit(report, runSha, single ? 'report-from' : `report-from: ${quote(shown, 500)}`);
      reports.push({ file: shown, report });
    } catch (error) {
      if (single || !(error instanceof InputError)) throw error;
      refused.push({ file: shown, error: messageOf(error) });
    }
  }
  return { reports, refused };
}

/** The report must be of the commit the triggering run built: a guard against posting the wrong artifact. */
function checkReportCommit(report: Report, runSha: string, what: string): void {
  if (!report.head.sha) {
    throw new InputError(
      `${what}: the report names no commit (head.sha), so it cannot be matched with the workflow run that triggered this one: refusing to post it.`,
    );
  }
  if (report.head.sha.toLowerCase() !== runSha.toLowerCase()) {
    throw new InputError(
      `${what}: the report is for commit ${report.head.sha.slice(0, 12)}, but the workflow run that triggered this one built ${runSha.slice(0, 12)}: refusing to post it. Download the artifact of that run (run-id: github.event.workflow_run.id).`,
    );
  }
}

/** Regular files matching `pattern` under `cwd`, sorted by path (code units: the same on every file system). */
function matching(pattern: string, cwd: string): string[] {
  // Symbolic links to directories are not followed: a downloaded artifact must not lead the search elsewhere.
  const files = globSync(pattern, { cwd, absolute: true, onlyFiles: true, followSymbolicLinks: false, expandDirectories: false });
  return [...new Set(files.map((f) => path.resolve(f)))].sort(byCodeUnits);
}

/** Refuse more reports, or more bytes, than one comment and one step should take. */
function limited(value: string, found: ReportFiles): ReportFiles {
  if (found.files.length > MAX_REPORTS) {
    throw new InputError(
      `report-from: ${quote(value)} names ${found.files.length} files, over the limit of ${MAX_REPORTS} reports for one comment: refusing to read them. Narrow the glob, or post with several comment-keys.`,
    );
  }
  const total = found.files.reduce((sum, file) => sum + (statOf(file)?.size ?? 0), 0);
  if (total > MAX_TOTAL_REPORT_BYTES) {
    throw new InputError(
      `report-from: the ${found.files.length} files ${quote(value)} names hold ${total} bytes together, over the limit of ${MAX_TOTAL_REPORT_BYTES} bytes: refusing to read them.`,
    );
  }
  return found;
}

function statOf(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
