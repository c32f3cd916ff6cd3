/**
 * The GitHub Action: read the inputs, run the pipeline, and publish the result everywhere it belongs (JSON
 * report, outputs, job summary, pull-request comment), then pass or fail the step.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { DockerEngine } from '../docker/engine.js';
import { InputError, isUserError, messageOf } from '../errors.js';
import { createOctokit, upsertComment } from '../github/comment.js';
import { currentCommit, eventName, pullRequest, pushedFrom, type PullRequestInfo } from '../github/event.js';
import type { Logger } from '../measure/measure.js';
import { failsRun } from '../judge/budgets.js';
import { createReport, type BaselinePlan } from '../pipeline.js';
import { describeBreach } from '../render/format.js';
import { COMMENT_LIMIT, commentMarker, renderMarkdown, SUMMARY_LIMIT, utf8Length } from '../render/markdown.js';
import { renderText } from '../render/text.js';
import { createScrubber, scrubbedLogger } from '../report/scrub.js';
import type { Report } from '../report/types.js';
import { readActionSettings } from './inputs.js';

/**
 * Run `fn` with workflow commands off: between stop-commands markers the runner does not act on `::command::`
 * lines, so untrusted text printed there (build output, a Dockerfile's echo) cannot add masks, set outputs, ...
 */
async function withoutCommands<T>(fn: () => Promise<T> | T): Promise<T> {
  const resume = randomUUID();
  process.stdout.write(`::stop-commands::${resume}${os.EOL}`);
  try {
    return await fn();
  } finally {
    process.stdout.write(`::${resume}::${os.EOL}`);
  }
}

const actionsLogger: Logger = {
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  group: (title, fn) => core.group(title, () => withoutCommands(fn)),
  buildLine: (line) => core.info(line),
};

export async function run(): Promise<void> {
  let scrubber = createScrubber([]);
  try {
    const { settings, workingDirectory, token, secrets } = readActionSettings();
    scrubber = createScrubber(secrets);
    const pr = pullRequest();
    // Scrubbed once, here: everything written below comes from this report.
    const report = scrubber.deep(await createReport({
      settings,
      workingDirectory,
      engine: new DockerEngine(),
      baseline: baselinePlan(settings.baseline, settings.baselineFile, workingDirectory, pr, pushedFrom()),
      head: currentCommit(),
      runId: runId(),
      log: scrubbedLogger(actionsLogger, scrubber),
      tempDirectory: process.env.RUNNER_TEMP || undefined,
    }));

    const marker = commentMarker(settings.commentKey);
    const headLabel = pr ? 'This PR' : 'This commit';
    const fullReport = 'the job summary and the JSON report (the `report` output)';
    const markdown = renderMarkdown(report, { marker, headLabel, maxLength: COMMENT_LIMIT, fullReport });
    await withoutCommands(() => core.info(renderText(report, headLabel)));
    const reportFile = writeReport(report, settings.reportFile, workingDirectory, settings.commentKey);
    core.setOutput('report', reportFile);
    core.setOutput('markdown', markdown);
    core.setOutput('status', report.status);
    await writeSummary(renderMarkdown(report, { headLabel, maxLength: SUMMARY_LIMIT, measure: utf8Length }));

    const wantComment = settings.comment === true || (settings.comment === 'auto' && pr !== undefined);
    if (wantComment && !pr) core.info('comment is on, but this run is not for a pull request: nothing to comment on.');
    if (wantComment && pr) await postComment(token, pr, marker, markdown);

    conclude(report, settings.failOnBudget);
  } catch (error) {
    if (isUserError(error)) {
      core.setFailed(scrubber.text(error.message));
    } else {
      core.debug(scrubber.text(error instanceof Error ? (error.stack ?? error.message) : String(error)));
      core.setFailed(scrubber.text(`image-size-report stopped on an unexpected error: ${messageOf(error)}`));
    }
  }
}

/**
 * Decide where the base measurements come from: a pull request's base commit, or with `rebuild` on a push,
 * the commit the branch was pushed from.
 */
export function baselinePlan(
  baseline: 'auto' | 'rebuild' | 'file' | 'none',
  baselineFile: string | undefined,
  workingDirectory: string,
  pr: PullRequestInfo | undefined,
  push: { sha: string; ref: string } | undefined,
): BaselinePlan {
  if (baseline === 'none') return { source: 'none' };
  if (baseline === 'file') return { source: 'file', file: path.resolve(workingDirectory, baselineFile!) };
  if (pr) return { source: 'rebuild', commit: pr.baseSha, ref: pr.baseRef };
  if (baseline === 'auto') return { source: 'none' };
  if (push) return { source: 'rebuild', commit: push.sha, ref: push.ref };
  throw new InputError(
    `baseline: "rebuild" needs a pull request or a push to an existing branch to find the base commit, and this is a ${eventName() || 'non-GitHub'} event. Use baseline: file or none here.`,
  );
}

function runId(): string {
  const id = process.env.GITHUB_RUN_ID;
  const attempt = process.env.GITHUB_RUN_ATTEMPT ?? '1';
  return id ? `${id}-${attempt}` : `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

function writeReport(report: Report, reportFile: string | undefined, workingDirectory: string, key: string): string {
  const file = reportFile
    ? path.resolve(workingDirectory, reportFile)
    : path.join(process.env.RUNNER_TEMP || os.tmpdir(), `image-size-report-${key}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}

async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary.addRaw(markdown).write();
}

async function postComment(token: string, pr: PullRequestInfo, marker: string, markdown: string): Promise<void> {
  if (!token) {
    core.warning('No github-token: the report is in the job summary but was not posted as a comment.');
    return;
  }
  try {
    const result = await upsertComment(createOctokit(token), pr, marker, markdown);
    core.info(`Comment ${result.action}: ${result.url}`);
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 403 || status === 404) {
      core.warning(
        `The comment could not be posted (HTTP ${status}): the token cannot write to pull request #${pr.number}` +
          `${pr.fromFork ? ' because it comes from a fork and its token is read-only' : '; grant "pull-requests: write" in the workflow\'s permissions'}. ` +
          'The report is in the job summary and the report output.',
      );
      return;
    }
    throw error;
  }
}

/** Pass or fail the step: failed builds always fail it; broken budgets fail it when fail-on-budget is on. */
function conclude(report: Report, failOnBudget: boolean): void {
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
