/**
 * The action's posting mode (`report-from`): reports saved by other runs or jobs posted as the comment, one or
 * several, without building anything.
 */
import * as core from '@actions/core';
import { InputError, quote } from '../errors.js';
import { eventName, pullRequest, repository, repositoryId, workflowRun } from '../github/event.js';
import { describeApiError } from '../github/api-error.js';
import { createOctokit } from '../github/octokit.js';
import { commentFailed, postComment } from '../github/post-comment.js';
import { pullRequestsOfRun } from '../github/workflow-run.js';
import { commentPlan } from '../judge/comment-worth.js';
import { COMMENT_LIMIT, commentMarker, renderMarkdown } from '../render/markdown.js';
import { orderReports, renderMergedMarkdown } from '../render/merged-markdown.js';
import { renderText } from '../render/text.js';
import type { Report } from '../report/types.js';
import type { Settings } from '../settings/schema.js';
import { readActionSettings, type TrustInputs } from './inputs.js';
import { withoutCommands } from './log.js';
import { publish, publishMerged } from './outputs.js';
import { findReportFiles, readReports } from './report-files.js';

/** Where the full report is when the comment had to leave detail out. */
export const FULL_REPORT = 'the job summary and the JSON report (the `report` output)';

/**
 * Post reports saved by other runs or jobs, without building anything: the trusted half of the two-workflow
 * setup (see README, "Security and permissions"), and the job that posts a matrix's reports as one comment
 * ("One comment for a matrix"). Each file is untrusted data (report-files.ts: size-limited, parsed, validated
 * against the report schema with unknown fields dropped, re-derived where it can be, escaped when rendered, and
 * on workflow_run of the commit that run built). The pull request comes from the event GitHub wrote, never from
 * a file. The budget checks shown are the measuring runs' (their checks gate the merge); this step fails only
 * when a report is refused or, with comment-failure: fail (the default here), when the comment cannot be posted.
 */
export async function postReportFile(reportFrom: string, trust: TrustInputs): Promise<void> {
  const { settings, workingDirectory, token } = readActionSettings();
  const found = findReportFiles(reportFrom, workingDirectory);
  const { reports, refused } = readReports(found, workingDirectory, workflowRun()?.headSha);
  for (const r of refused) core.error(r.error);
  if (reports.length === 0) {
    throw new InputError(
      `report-from: no report that ${quote(reportFrom)} names can be posted: ${refused.length > 1 ? `all ${refused.length} were` : 'the one found was'} refused (the errors above say why).`,
    );
  }

  const marker = commentMarker(settings.commentKey);
  const where = { headLabel: 'This PR', reportFile: settings.reportFile, workingDirectory, commentKey: settings.commentKey };
  const options = { marker, headLabel: 'This PR', maxLength: COMMENT_LIMIT, fullReport: FULL_REPORT };
  let markdown: string;
  if (found.form === 'file') {
    const { report } = reports[0];
    markdown = renderMarkdown(report, options);
    await withoutCommands(() => core.info(renderText(report, 'This PR')));
    await publish({ report, markdown, ...where });
  } else {
    const ordered = orderReports(reports);
    markdown = renderMergedMarkdown(
      ordered,
      refused.map((r) => r.file),
      options,
    );
    await withoutCommands(() => {
      for (const { file, report } of ordered) core.info(`${report.name ?? file}:\n${renderText(report, 'This PR')}`);
    });
    await publishMerged({ sections: ordered, refused, markdown, ...where });
    core.info(`${ordered.length} reports in one comment, in this order: ${ordered.map((r) => JSON.stringify(r.file)).join(', ')}.`);
  }
  if (reports.some((r) => r.report.status === 'fail'))
    core.info(
      `${reports.length > 1 ? 'A report' : 'The report'} breaks a budget or has a failed build; the check of the run that measured carries that verdict, this step only posts it.`,
    );
  if (settings.comment !== false)
    await commentSaved(
      reports.map((r) => r.report),
      marker,
      markdown,
      token,
      trust,
      settings.comment,
    );
  if (refused.length) {
    core.setFailed(
      `report-from: ${refused.length} of ${refused.length + reports.length} reports ${refused.length > 1 ? 'were' : 'was'} refused (the errors above say why); the comment and the job summary show the others and name the refused ones.`,
    );
  }
}

/** Post the comment of saved reports, unless every report is of a cancelled run. */
async function commentSaved(
  reports: Report[],
  marker: string,
  markdown: string,
  token: string,
  trust: TrustInputs,
  comment: Settings['comment'],
): Promise<void> {
  if (reports.every((r) => r.cancelled)) {
    // Its run was cancelled, most often superseded by a newer push whose report is (or will be) the comment.
    core.info(
      reports.length === 1
        ? `The report is of a run that was cancelled (${reports[0].cancelled!.signal}) before it finished: it is in the job summary, and no comment is posted.`
        : 'Every report is of a run that was cancelled before it finished: they are in the job summary, and no comment is posted.',
    );
    return;
  }

  const onFailure = trust.commentFailure ?? 'fail';
  const run = workflowRun();
  let target: { numbers: number[]; why?: string };
  let fromFork = false;
  if (run) {
    if (!token)
      return commentFailed(
        'No github-token: the pull request of this workflow run cannot be looked up, and no comment was posted.',
        onFailure,
      );
    try {
      target = await pullRequestsOfRun(createOctokit(token, { log: { info: (m) => core.info(m) } }), repository(), run, repositoryId());
    } catch (error) {
      return commentFailed(`The pull request of this workflow run could not be looked up: ${describeApiError(error)}.`, onFailure);
    }
  } else {
    // A job of the same pull_request run (a matrix's posting job): on a fork's pull request, its token is read-only.
    const pr = pullRequest();
    fromFork = pr?.fromFork ?? false;
    target = pr
      ? { numbers: [pr.number] }
      : { numbers: [], why: `this is a ${eventName() || 'non-GitHub'} event, not workflow_run or pull_request` };
  }
  if (target.numbers.length === 0) core.info(`Nothing to comment on: ${target.why ?? 'no pull request'}.`);
  else {
    const plan = commentPlan(comment, reports);
    if (plan.worth) core.info(`${plan.worth}: worth a comment.`);
    await postComment({
      token,
      repo: repository(),
      numbers: target.numbers,
      marker,
      markdown,
      onFailure,
      fromFork,
      updateOnly: plan.updateOnly,
    });
  }
}
