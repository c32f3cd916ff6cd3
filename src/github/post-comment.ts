/**
 * Posting the report as the pull-request comment, from the action: one upsert per pull request (comment.ts),
 * each outcome said in the workflow log, and a comment that cannot be posted failing the step or warning, as
 * comment-failure says. The report is in the job summary, the outputs and the report file by then.
 */
import * as core from '@actions/core';
import { describeApiError } from './api-error.js';
import { updateExistingComment, upsertComment } from './comment.js';
import { createOctokit } from './octokit.js';

/** One comment to post: what, where, and what a failure does to the step. */
export interface CommentPost {
  token: string;
  repo: { owner: string; repo: string };
  /** The pull requests to comment on. */
  numbers: number[];
  /** The hidden marker that finds our comment again (render/markdown.ts `commentMarker`). */
  marker: string;
  markdown: string;
  /** comment-failure: a comment that cannot be posted fails the step, or only warns. */
  onFailure: 'fail' | 'warn';
  /** The pull request comes from a fork, whose workflows get a read-only token. */
  fromFork: boolean;
  /**
   * `comment: changed` with nothing worth a new comment (judge/comment-worth.ts): update our comment where there
   * is one, create none; `why` is said in the log where no comment was posted.
   */
  updateOnly?: { why: string };
}

/**
 * Post or update the comment on each pull request. A pull request from a fork gets a read-only token: that is
 * said once, with the way to get comments there, and never fails the step. Any other failure (after the
 * client's bounded retries) fails the step or warns, as comment-failure says.
 */
export async function postComment(post: CommentPost): Promise<void> {
  const fail = (message: string) => commentFailed(message, post.onFailure);
  if (!post.token) return fail('No github-token: the comment was not posted.');
  const octokit = createOctokit(post.token, { log: { info: (m) => core.info(m) } });
  for (const number of post.numbers) {
    try {
      const target = { ...post.repo, number };
      if (post.updateOnly) {
        const updated = await updateExistingComment(octokit, target, post.marker, post.markdown);
        if (!updated) {
          core.info(`No comment posted on #${number}: ${post.updateOnly.why}, and the pull request has no comment of ours to update.`);
          continue;
        }
        core.info(
          `Comment ${updated.action} on #${number}${updated.author ? ` as ${updated.author}` : ''}: ${updated.url} (${post.updateOnly.why}; updated so that it does not show older numbers)`,
        );
        continue;
      }
      const result = await upsertComment(octokit, target, post.marker, post.markdown);
      const removed = result.removed.length
        ? ` (removed ${result.removed.length} duplicate${result.removed.length > 1 ? 's' : ''} a concurrent run left)`
        : '';
      core.info(`Comment ${result.action} on #${number}${result.author ? ` as ${result.author}` : ''}: ${result.url}${removed}`);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (post.fromFork && (status === 403 || status === 404)) {
        core.warning(
          `Pull request #${number} comes from a fork, so GitHub gives this workflow a read-only token and the comment cannot be posted (HTTP ${status}); the report is in the job summary and the report output. ` +
            'To get comments on pull requests from forks, use the two-workflow setup: this pull_request run uploads the report as an artifact, and a workflow_run workflow posts it with report-from ' +
            '(README, "Security and permissions", and examples/workflows/).',
        );
        return;
      }
      fail(`The comment could not be posted on pull request #${number}: ${describeApiError(error, number)}.`);
    }
  }
}

/** A comment that could not be posted fails the step or warns, as comment-failure says. */
export function commentFailed(message: string, onFailure: 'fail' | 'warn'): void {
  const tail = ' The report is in the job summary and the report output.';
  if (onFailure === 'fail') core.setFailed(`${message}${tail} (comment-failure: fail; set it to warn to only warn.)`);
  else core.warning(`${message}${tail}`);
}
