/**
 * Which pull request a `workflow_run` run posts to. Decided from the event payload GitHub wrote (the run's head
 * commit and branch) and GitHub's API, never from the artifact the untrusted run uploaded: that run could name
 * any pull request.
 */
import type { WorkflowRunInfo } from './event.js';
import type { Octokit } from './octokit.js';

export interface RunPullRequests {
  numbers: number[];
  /** Why there are none, for the log. */
  why?: string;
}

export async function pullRequestsOfRun(
  octokit: Octokit,
  repo: { owner: string; repo: string },
  run: WorkflowRunInfo,
  repoId: number | undefined,
): Promise<RunPullRequests> {
  if (run.event !== 'pull_request') {
    return {
      numbers: [],
      why: `the workflow run that triggered this one ran on ${run.event || 'an unknown event'}, not on a pull request`,
    };
  }
  // Same repository: GitHub lists the pull requests. Keep those whose head is still the commit measured.
  const linked = run.pullRequests.filter(
    (p) => p.headSha === run.headSha && (repoId === undefined || p.baseRepoId === undefined || p.baseRepoId === repoId),
  );
  if (linked.length) return { numbers: unique(linked.map((p) => p.number)) };
  // A fork's pull request is not linked (pull_requests is empty): find the open pull request whose head is
  // that repository's branch at that commit.
  if (!run.headRepository || !run.headBranch) {
    return { numbers: [], why: 'the workflow run names no head repository and branch to look the pull request up by' };
  }
  const headOwner = run.headRepository.split('/')[0];
  const pulls = await octokit.paginate(octokit.rest.pulls.list, {
    ...repo,
    state: 'open',
    head: `${headOwner}:${run.headBranch}`,
    per_page: 100,
  });
  const found = pulls.filter(
    (p) => p.head.sha === run.headSha && p.head.repo?.full_name?.toLowerCase() === run.headRepository!.toLowerCase(),
  );
  if (found.length) return { numbers: unique(found.map((p) => p.number)) };
  return {
    numbers: [],
    why: `no open pull request has ${run.headRepository}:${run.headBranch} at ${run.headSha.slice(0, 7)} as its head (closed, or pushed to again since; the later run posts its own report)`,
  };
}

function unique(numbers: number[]): number[] {
  return [...new Set(numbers)].sort((a, b) => a - b);
}
