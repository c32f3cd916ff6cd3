// comment: changed, through the bundled action against the loopback GitHub: a pull request whose images did not
// change beyond min-change gets no new comment (and the log says why), an existing comment is still updated, and
// a change past min-change or a broken budget posts one.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeGitHubPerTest } from '../support/github/index.js';
import { runAction, type ActionRunOptions } from '../support/run-action.js';
import { built, report, variant } from '../support/report-fixture.js';
import { pullRequestPayload, workflowRunPayload } from '../support/webhook-payloads.js';
import { commitAll, repoFromFixture, tempDir } from '../support/workspace.js';

const OWNER = 'octo-org';
const REPO = 'shop';
const PR = 42;
const MARKER = '<!-- image-size-report:default -->';
const FAST = { IMAGE_SIZE_REPORT_GITHUB_WAIT_UNIT_MS: '5' };
const NO_COMMENT =
  'No comment posted on #42: comment: changed, and no figure changed by more than 0.1% (min-change), no budget is broken and no build failed, and the pull request has no comment of ours to update.';

const github = fakeGitHubPerTest();

/** A pull request that changes the app script by a few bytes: nothing past the default min-change. */
function pullRequest(inputs: Record<string, string>, change = 'echo changed\n'): ActionRunOptions {
  const { dir, sha: baseSha } = repoFromFixture('tiny-app');
  writeFileSync(path.join(dir, 'app.sh'), change);
  const headSha = commitAll(dir, 'change the app');
  return {
    workspace: dir,
    inputs: { variants: 'app: {dockerfile: Dockerfile, target: runtime}', comment: 'changed', 'cache-dir': 'none', ...inputs },
    eventName: 'pull_request',
    payload: pullRequestPayload({ owner: OWNER, repo: REPO, number: PR, baseSha, headSha, baseRef: 'main', headRef: 'tweak' }),
    repository: `${OWNER}/${REPO}`,
    apiUrl: github.server.url,
    token: github.server.token,
    sha: headSha,
    env: FAST,
  };
}

const calls = (operationId: string) => github.server.requests.filter((r) => r.operationId === operationId);
const ours = () => github.server.comments(OWNER, REPO, PR).filter((c) => c.body.startsWith(MARKER));

describe('comment: changed', () => {
  it('posts no new comment when nothing changed beyond min-change, and says why', async () => {
    const run = await runAction(pullRequest({}));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(NO_COMMENT);
    expect(run.stdout).not.toMatch(/::(warning|error)::/);
    expect(calls('issues/list-comments').length).toBeGreaterThan(0);
    expect(calls('issues/create-comment')).toEqual([]);
    expect(github.server.comments(OWNER, REPO, PR)).toEqual([]);
    // the numbers are still in the summary, the table in the log, the report in its file
    expect(run.summary).toContain('no change beyond 0.1%');
    expect(run.outputs.status).toBe('pass');
  });

  it('still updates the comment an earlier run left, so that it never shows older numbers', async () => {
    const old = github.server.seedComment(OWNER, REPO, PR, `${MARKER}\nthe numbers of an older push`, {
      login: 'github-actions[bot]',
      type: 'Bot',
    });
    const run = await runAction(pullRequest({}));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /Comment updated on #42 as github-actions\[bot\]: .* \(comment: changed, and no figure changed by more than 0\.1%/,
    );
    expect(calls('issues/create-comment')).toEqual([]);
    expect(ours().map((c) => [c.id, c.body])).toEqual([[old.id, run.outputs.markdown]]);
    expect(run.outputs.markdown).toContain('no change beyond 0.1%');
  });

  it('posts a new comment when a figure moved past min-change', async () => {
    const run = await runAction(pullRequest({ 'min-change': '0' }, `#!/bin/sh\n${'echo grown\n'.repeat(50)}`));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/comment: changed, and app: size \+\d+ B.*: worth a comment\./);
    expect(run.stdout).toMatch(/Comment created on #42/);
    expect(ours().map((c) => c.body)).toEqual([run.outputs.markdown]);
  });

  it('posts a new comment when a budget is broken, though nothing changed', async () => {
    const run = await runAction(pullRequest({ budgets: 'app: {max-layers: 1}', 'fail-on-budget': 'false' }));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('comment: changed, and 1 budget broken: worth a comment.');
    expect(ours()).toHaveLength(1);
    expect(ours()[0].body).toContain('budget max-layers broken');
  });
});

describe('comment: changed, posting a saved report (report-from, on workflow_run)', () => {
  const HEAD = 'f'.repeat(40);
  /** A poster run of a report whose variant moved by `grew` bytes; no Docker engine at all. */
  function poster(grew: number): ActionRunOptions {
    const workspace = tempDir('poster');
    mkdirSync(path.join(workspace, 'artifact'));
    const saved = { ...report([variant('app', 1, built(5_000_000 + grew, 4), built(5_000_000, 4))]), head: { ref: 'grow', sha: HEAD } };
    writeFileSync(path.join(workspace, 'artifact', 'report.json'), JSON.stringify(saved));
    return {
      workspace,
      inputs: { 'report-from': 'artifact/report.json', comment: 'changed' },
      eventName: 'workflow_run',
      payload: workflowRunPayload({
        owner: OWNER,
        repo: REPO,
        headSha: HEAD,
        headBranch: 'grow',
        pullRequest: { number: PR, baseRef: 'main', baseSha: 'a'.repeat(40) },
      }),
      repository: `${OWNER}/${REPO}`,
      apiUrl: github.server.url,
      token: github.server.token,
      sha: 'b'.repeat(40),
      env: { ...FAST, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    };
  }

  it('posts nothing for a report with no change, and a comment for one with a change', async () => {
    const quiet = await runAction(poster(100));
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toContain(NO_COMMENT);
    expect(github.server.comments(OWNER, REPO, PR)).toEqual([]);
    const grown = await runAction(poster(100_000));
    expect(grown.code).toBe(0);
    expect(grown.stdout).toContain('comment: changed, and app: size +100 kB: worth a comment.');
    expect(ours().map((c) => c.body)).toEqual([grown.outputs.markdown]);
  });
});
