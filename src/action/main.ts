/**
 * The GitHub Action: read the inputs, run the pipeline, and publish the result everywhere it belongs (JSON
 * report, outputs, job summary, pull-request comment), then pass or fail the step. With `report-from`, it
 * builds nothing and posts a report an untrusted run saved (the workflow_run half of the setup for forks).
 * This file is the sequence of a run; the outputs are written by outputs.ts, the comment posted by
 * src/github/post-comment.ts, saved reports posted by post-reports.ts.
 */
import path from 'node:path';
import * as core from '@actions/core';
import { DockerEngine } from '../docker/engine.js';
import { InputError, isUserError, messageOf } from '../errors.js';
import { currentCommit, eventName, pullRequest, pushedFrom, type PullRequestInfo } from '../github/event.js';
import { postComment } from '../github/post-comment.js';
import { commentPlan } from '../judge/comment-worth.js';
import { createReport, type BaselineStep } from '../pipeline.js';
import { createRegistry } from '../registry/client.js';
import type { Registry } from '../registry/types.js';
import { describeCancel } from '../render/format.js';
import { COMMENT_LIMIT, commentMarker, renderMarkdown } from '../render/markdown.js';
import { renderText } from '../render/text.js';
import { createScrubber, scrubbedLogger, type Scrubber } from '../secrets/scrub.js';
import type { Settings } from '../settings/schema.js';
import { writeAnnotations } from './annotations.js';
import { ActionCancel } from './cancel.js';
import { readActionSettings, readReportName, readTrustInputs, type ActionSettings, type TrustInputs } from './inputs.js';
import { actionsLogger, withoutCommands } from './log.js';
import { conclude, publish } from './outputs.js';
import { FULL_REPORT, postReportFile } from './post-reports.js';

export async function run(): Promise<void> {
  /** Cuts every secret (build-arg values, the token) out of what we write; set once the inputs are read. */
  let scrubber = createScrubber([]);
  /** SIGINT and SIGTERM cancel a run that builds (README, "Cancelled runs"); posting a saved report is left to them. */
  let cancel: ActionCancel | undefined;
  try {
    const trust = readTrustInputs();
    if (trust.reportFrom) {
      await postReportFile(trust.reportFrom, trust);
    } else {
      cancel = new ActionCancel(runId());
      refusePullRequestTarget(eventName(), trust.allowPullRequestTarget);
      const inputs = readActionSettings();
      // the registry's credentials and tokens are scrubbed too, as soon as it has used them
      const registry = inputs.settings.baseline.includes('registry') ? await createRegistry({ env: process.env }) : undefined;
      scrubber = createScrubber(inputs.secrets, registry && (() => registry.secrets()));
      await buildAndReport(trust, inputs, scrubber, cancel, registry);
    }
  } catch (error) {
    const cancelled = cancel?.cancelled();
    if (cancelled) {
      if (error !== cancelled) core.debug(scrubber.text(error instanceof Error ? (error.stack ?? error.message) : String(error)));
      await cancel!.withoutReport(cancelled);
    } else if (isUserError(error)) {
      core.setFailed(scrubber.text(error.message));
    } else {
      core.debug(scrubber.text(error instanceof Error ? (error.stack ?? error.message) : String(error)));
      core.setFailed(scrubber.text(`image-size-report stopped on an unexpected error: ${messageOf(error)}`));
    }
  }
}

/** The usual mode: build and measure this change (and its base), publish the report, pass or fail the step. */
async function buildAndReport(
  trust: TrustInputs,
  inputs: ActionSettings,
  scrubber: Scrubber,
  cancel: ActionCancel,
  registry?: Registry,
): Promise<void> {
  const { settings, workingDirectory, token } = inputs;
  const pr = pullRequest();
  const name = readReportName();
  // Scrubbed once, here: everything written below comes from this report.
  const report = scrubber.deep(
    await createReport({
      settings,
      workingDirectory,
      engine: DockerEngine.fromEnvironment(),
      baseline: baselinePlan(settings, workingDirectory, pr, pushedFrom(), registry),
      head: currentCommit(),
      runId: cancel.runId,
      log: scrubbedLogger(actionsLogger, scrubber),
      tempDirectory: process.env.RUNNER_TEMP || undefined,
      signal: cancel.signal,
    }).then((r) => (name ? { ...r, name } : r)),
  );

  const marker = commentMarker(settings.commentKey);
  const headLabel = pr ? 'This PR' : 'This commit';
  const markdown = renderMarkdown(report, { marker, headLabel, maxLength: COMMENT_LIMIT, fullReport: FULL_REPORT });
  await withoutCommands(() => core.info(renderText(report, headLabel)));
  await publish({ report, markdown, headLabel, reportFile: settings.reportFile, workingDirectory, commentKey: settings.commentKey });
  cancel.summaryWritten = true;

  const wantComment = settings.comment === true || (settings.comment !== false && pr !== undefined); // auto, changed: on pull requests
  // A cancelled run (superseded by a newer push, most often) must not replace the newer run's comment.
  const cancelled = cancel.cancelled();
  if (cancelled) {
    const measured = describeCancel(report) ?? `The run was cancelled (${cancelled.signal}).`;
    const comment = wantComment && pr ? ' No comment was posted.' : '';
    return cancel.fail(cancelled, `${measured} The job summary and the report output have what it measured.${comment}`);
  }
  writeAnnotations(report, workingDirectory, (text) => scrubber.text(text)); // on the Dockerfile lines that grew
  if (wantComment && !pr) core.info('comment is on, but this run is not for a pull request: nothing to comment on.');
  if (wantComment && pr) {
    const onFailure = trust.commentFailure ?? 'warn';
    const plan = commentPlan(settings.comment, [report]);
    if (plan.worth) core.info(`${plan.worth}: worth a comment.`);
    await postComment({
      token,
      repo: pr,
      numbers: [pr.number],
      marker,
      markdown,
      onFailure,
      fromFork: pr.fromFork,
      updateOnly: plan.updateOnly,
    });
  }

  conclude(report, settings.failOnBudget);
  const late = cancel.cancelled(); // after the report was complete: it stands, and the step still ends as cancelled
  if (late) cancel.fail(late, `The run was cancelled (${late.signal}) after its report was complete.`);
}

/**
 * Building a pull request's code on pull_request_target runs it with a write token and the repository's
 * secrets: the Dockerfiles and build context are the pull request author's, and actions/checkout leaves the
 * token in .git/config, inside the default build context. So refuse unless the workflow says it knows.
 */
export function refusePullRequestTarget(event: string, allowed: boolean): void {
  if (event !== 'pull_request_target' || allowed) return;
  throw new InputError(
    "This run is on pull_request_target, which gives it a write token and the repository's secrets, while the Dockerfiles and build context it would build come from the pull request: " +
      'a RUN step or a COPY of the workspace could read that token (actions/checkout keeps it in .git/config) and use it. image-size-report refuses to build here. ' +
      'Run it on pull_request instead; for comments on pull requests from forks, use the two-workflow setup (pull_request builds and uploads the report, workflow_run posts it with report-from), ' +
      'see "Security and permissions" in the README. If this workflow only ever builds trusted code, set allow-pull-request-target: true.',
  );
}

/**
 * Decide where the base measurements come from, source by source: a pull request's base commit, or with
 * `rebuild` on a push, the commit the branch was pushed from; `auto` is that rebuild where the event names a base
 * commit and is left out elsewhere.
 */
export function baselinePlan(
  settings: Pick<Settings, 'baseline' | 'baselineFile' | 'baselineImage'>,
  workingDirectory: string,
  pr: PullRequestInfo | undefined,
  push: { sha: string; ref: string } | undefined,
  registry?: Registry,
): BaselineStep[] {
  return settings.baseline.flatMap((source): BaselineStep[] => {
    if (source === 'none') return [];
    if (source === 'file') return [{ source: 'file', file: path.resolve(workingDirectory, settings.baselineFile!) }];
    if (source === 'registry') return [{ source: 'registry', registry: registry!, image: settings.baselineImage! }];
    if (pr) return [{ source: 'rebuild', commit: pr.baseSha, ref: pr.baseRef }];
    if (source === 'auto') return [];
    if (push) return [{ source: 'rebuild', commit: push.sha, ref: push.ref }];
    throw new InputError(
      `baseline: "rebuild" needs a pull request or a push to an existing branch to find the base commit, and this is a ${eventName() || 'non-GitHub'} event. Use baseline: file, registry or none here.`,
    );
  });
}

function runId(): string {
  const id = process.env.GITHUB_RUN_ID;
  const attempt = process.env.GITHUB_RUN_ATTEMPT ?? '1';
  return id ? `${id}-${attempt}` : `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
