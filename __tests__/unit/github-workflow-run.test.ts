// Which pull request a workflow_run run posts to: from the event GitHub wrote and GitHub's API, never from
// the untrusted run's artifact.
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowRunInfo } from '../../src/github/event.js';
import { createOctokit } from '../../src/github/octokit.js';
import { pullRequestsOfRun } from '../../src/github/workflow-run.js';
import { startFakeGitHub, type FakeGitHub } from '../support/github/index.js';
import { FORK_OWNER, pullRequestPayload } from '../support/webhook-payloads.js';

const repo = { owner: 'acme', repo: 'widgets' };
const HEAD = '1'.repeat(40);
let fake: FakeGitHub | undefined;
afterEach(async () => {
  expect(fake?.rejections ?? []).toEqual([]);
  await fake?.close();
  fake = undefined;
});

async function octokit() {
  fake = await startFakeGitHub();
  return createOctokit(fake.token, { baseUrl: fake.url, waitUnitMs: 2 });
}

const run = (over: Partial<WorkflowRunInfo>): WorkflowRunInfo => ({
  id: 1,
  event: 'pull_request',
  headSha: HEAD,
  headBranch: 'feature',
  headRepository: 'acme/widgets',
  pullRequests: [],
  ...over,
});
const seed = (number: number, headSha: string, fork = false) =>
  fake!.seedPullRequest(
    repo.owner,
    repo.repo,
    (
      pullRequestPayload({ ...repo, number, baseSha: '0'.repeat(40), headSha, headRef: 'feature', fork }) as {
        pull_request: Record<string, unknown>;
      }
    ).pull_request,
  );

describe('pullRequestsOfRun', () => {
  it("takes the linked pull requests whose head is the run's commit in this repository, without asking the API", async () => {
    const client = await octokit();
    const linked = [
      { number: 3, headSha: HEAD, baseRepoId: 10 },
      { number: 2, headSha: HEAD, baseRepoId: 10 },
      { number: 4, headSha: '2'.repeat(40), baseRepoId: 10 }, // moved on since
      { number: 5, headSha: HEAD, baseRepoId: 99 }, // another repository's pull request from the same branch
    ];
    expect(await pullRequestsOfRun(client, repo, run({ pullRequests: linked }), 10)).toEqual({ numbers: [2, 3] });
    expect(fake!.requests).toEqual([]);
  });

  it("finds a fork's pull request by the fork's branch, and only at the run's commit", async () => {
    const client = await octokit();
    seed(7, HEAD, true);
    seed(8, HEAD); // same branch name and commit, but in this repository: not the fork's
    const forkRun = run({ headRepository: `${FORK_OWNER}/widgets` });
    expect(await pullRequestsOfRun(client, repo, forkRun, 10)).toEqual({ numbers: [7] });
    expect(fake!.requests.map((r) => r.query.head)).toEqual([`${FORK_OWNER}:feature`]);
    const moved = await pullRequestsOfRun(client, repo, { ...forkRun, headSha: '3'.repeat(40) }, 10);
    expect(moved.numbers).toEqual([]);
    expect(moved.why).toMatch(/no open pull request has external-contributor\/widgets:feature at 3333333 as its head/);
  });

  it('posts nowhere for a run that was not on a pull request', async () => {
    const client = await octokit();
    expect(await pullRequestsOfRun(client, repo, run({ event: 'push' }), 10)).toEqual({
      numbers: [],
      why: 'the workflow run that triggered this one ran on push, not on a pull request',
    });
    expect(fake!.requests).toEqual([]);
  });
});
