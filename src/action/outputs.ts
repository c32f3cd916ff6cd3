/**
 * What the action leaves besides the comment: the JSON report file, the outputs (`report`, `markdown`,
 * `status`), the job summary, and the step's pass or fail; for one report or, posting with report-from, several.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { failsRun } from '../judge/budgets.js';
import { describeBreach } from '../render/format.js';
import { renderMarkdown, SUMMARY_LIMIT, utf8Length } from '../render/markdown.js';
import { orderReports, renderMergedMarkdown, worstStatus, type ReportSection } from '../render/merged-markdown.js';
import type { Report } from '../report/types.js';

/** What `publish` writes, and where. */
export interface Publication {
  report: Report;
  /** The comment's Markdown (the `markdown` output). */
  markdown: string;
  /** How this change is named in the tables ("This PR", "This commit"). */
  headLabel: string;
  /** The report-file setting (relative to the working directory); the runner's temp directory otherwise. */
  reportFile: string | undefined;
  workingDirectory: string;
  /** The comment key, which names the report file in the temp directory. */
  commentKey: string;
}

/** The JSON report, the outputs and the job summary: written before any comment is tried. */
export async function publish(publication: Publication): Promise<void> {
  const { report, markdown, headLabel } = publication;
  core.setOutput('report', writeReport(publication));
  core.setOutput('markdown', markdown);
  core.setOutput('status', report.status);
  // The summary has room for the whole report (the comment may have left detail out).
  const summary = renderMarkdown(report, { headLabel, maxLength: SUMMARY_LIMIT, measure: utf8Length });
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summary).write();
}

/** What `publishMerged` writes for several reports posted as one comment (report-from a directory or glob). */
export interface MergedPublication extends Omit<Publication, 'report'> {
  /** The reports as read and re-derived, in the comment's order. */
  sections: ReportSection[];
  /** The files refused, with why. */
  refused: { file: string; error: string }[];
}

/**
 * Several reports: the `report` output is a JSON file `{status, reports: [{file, report}], refused: [{file,
 * error}]}` (reports in the comment's order), `markdown` the comment, `status` the worst verdict; the job
 * summary is the same merged rendering with the summary's room.
 */
export async function publishMerged(publication: MergedPublication): Promise<void> {
  const { sections, refused, markdown, headLabel } = publication;
  const status = worstStatus(
    sections.map((s) => s.report),
    refused.length,
  );
  const json = { status, reports: orderReports(sections).map(({ file, report }) => ({ file, report })), refused };
  core.setOutput('report', writeJson(json, publication));
  core.setOutput('markdown', markdown);
  core.setOutput('status', status);
  const summary = renderMergedMarkdown(
    sections,
    refused.map((r) => r.file),
    { headLabel, maxLength: SUMMARY_LIMIT, measure: utf8Length },
  );
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summary).write();
}

/** Pass or fail the step: failed builds always fail it; broken budgets fail it when fail-on-budget is on. */
export function conclude(report: Report, failOnBudget: boolean): void {
  const problems = report.variants
    .filter((v) => v.head.status === 'failed')
    .map((v) => `${v.name}: the build failed${v.head.status === 'failed' && v.head.failedStep ? ` at ${v.head.failedStep}` : ''}.`);
  const breaches = report.budgets.filter((c) => c.outcome === 'fail').map((c) => describeBreach(c, report.units));
  if (failsRun(report, failOnBudget)) {
    core.setFailed([...problems, ...breaches].join('\n'));
  } else {
    for (const breach of breaches) core.warning(`${breach} (fail-on-budget is off)`);
  }
}

function writeReport(publication: Publication): string {
  return writeJson(publication.report, publication);
}

function writeJson(json: unknown, { reportFile, workingDirectory, commentKey }: Omit<Publication, 'report'>): string {
  const file = reportFile
    ? path.resolve(workingDirectory, reportFile)
    : path.join(process.env.RUNNER_TEMP || os.tmpdir(), `image-size-report-${commentKey}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
  return file;
}
