// The bundled action against the loopback GitHub API when GitHub misbehaves or cannot be trusted: faults and
// retries, racing runs, comment authors, forks, pull_request_target, and the two-workflow setup for forks
// (a pull_request run that measures, a workflow_run run that posts its report).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sizeMeaning } from '../../src/measure/image/push-sizing.js';
import type { Report } from '../../src/report/types.js';
import { toolImageTags } from '../support/docker-cli.js';
import { fakeGitHubPerTest } from '../support/github/index.js';
import { built, report as reportOf, variant } from '../support/report-fixture.js';
import { runAction, type ActionRun, type ActionRunOptions } from '../support/run-action.js';
import { FORK_OWNER, pullRequestPayload, workflowRunPayload } from '../support/webhook-payloads.js';
import { commitAll, repoFromFixture, tempDir } from '../support/workspace.js';

const OWNER = 'octo-org';
const REPO = 'shop';
const PR = 42;
const MARKER = '<!-- image-size-report:default -->';
const VARIANT = 'app: {dockerfile: Dockerfile, target: runtime}';
/** The wait unit (README, "API errors"): a second of waiting on GitHub lasts 5 ms. */
const FAST = { IMAGE_SIZE_REPORT_GITHUB_WAIT_UNIT_MS: '5' };

const github = fakeGitHubPerTest();

interface Repo {
  dir: string;
  baseSha: string;
  headSha: string;
}

function pullRequestRepo(): Repo {
  const { dir, sha: baseSha } = repoFromFixture('tiny-app');
  writeFileSync(path.join(dir, 'app.sh'), 'echo changed\n');
  return { dir, baseSha, headSha: commitAll(dir, 'change the app') };
}

function onPullRequest(
  repo: Repo,
  inputs: Record<string, string>,
  more: { fork?: boolean; eventName?: string; runId?: string; action?: 'opened' | 'synchronize' } = {},
): ActionRunOptions {
  return {
    workspace: repo.dir,
    inputs: { variants: VARIANT, baseline: 'none', ...inputs },
    eventName: more.eventName ?? 'pull_request',
    payload: pullRequestPayload({
      action: more.action,
      owner: OWNER,
      repo: REPO,
      number: PR,
      baseSha: repo.baseSha,
      headSha: repo.headSha,
      baseRef: 'main',
      headRef: 'grow',
      fork: more.fork,
    }),
    repository: `${OWNER}/${REPO}`,
    apiUrl: github.server.url,
    token: github.server.token,
    sha: repo.headSha,
    ...(more.runId ? { runId: more.runId } : {}),
    env: FAST,
  };
}

const lines = (run: ActionRun, prefix: string) => run.stdout.split('\n').filter((l) => l.startsWith(prefix));
const ours = () => github.server.comments(OWNER, REPO, PR).filter((c) => c.body.startsWith(MARKER) && c.user.type === 'Bot');
const calls = (operationId: string) => github.server.requests.filter((r) => r.operationId === operationId);

describe('GitHub API faults', () => {
  it('retries 5xx answers and a secondary rate limit, then posts the one comment', async () => {
    github.server.serverErrorNext(2, { operationId: 'issues/list-comments', status: 502 });
    github.server.secondaryRateLimitNext(1, { operationId: 'issues/create-comment', retryAfter: 3 });
    const run = await runAction(onPullRequest(pullRequestRepo(), {}));
    expect(run.code).toBe(0);
    expect(lines(run, '::warning::')).toEqual([]);
    expect(
      calls('issues/list-comments')
        .map((r) => r.status)
        .slice(0, 3),
    ).toEqual([502, 502, 200]);
    expect(calls('issues/create-comment').map((r) => r.status)).toEqual([403, 201]);
    expect(run.stdout).toMatch(
      /GitHub answered 502 to GET \/repos\/octo-org\/shop\/issues\/42\/comments\?per_page=100 \(attempt 1\): retrying\./,
    );
    expect(run.stdout).toMatch(
      /GitHub's secondary rate limit for POST \/repos\/octo-org\/shop\/issues\/42\/comments: retrying in 3 s \(retry 1 of 2\)\./,
    );
    expect(ours().map((c) => c.body)).toEqual([run.outputs.markdown]);
  });

  it('when GitHub keeps failing, warns once by default, and the summary and report are there', async () => {
    github.server.serverErrorNext(100, { operationId: 'issues/create-comment', status: 502 });
    const run = await runAction(onPullRequest(pullRequestRepo(), {}));
    expect(run.code).toBe(0);
    expect(lines(run, '::warning::')).toEqual([
      '::warning::The comment could not be posted on pull request #42: GitHub answered 502 to POST /repos/octo-org/shop/issues/42/comments on every attempt (3 retries). The report is in the job summary and the report output.',
    ]);
    expect(calls('issues/create-comment')).toHaveLength(4);
    expect(run.summary).toContain('## Image size report');
    expect((JSON.parse(readFileSync(run.outputs.report, 'utf8')) as Report).status).toBe('pass');
    expect(github.server.comments(OWNER, REPO, PR)).toEqual([]);
  });

  it('with comment-failure: fail, fails the step after the retries, the summary and report written first', async () => {
    github.server.serverErrorNext(100, { status: 503 });
    const run = await runAction(onPullRequest(pullRequestRepo(), { 'comment-failure': 'fail' }));
    expect(run.code).toBe(1);
    expect(lines(run, '::error::')).toEqual([
      expect.stringMatching(
        /^::error::The comment could not be posted on pull request #42: GitHub answered 503 to GET \/user on every attempt \(3 retries\)\. The report is in the job summary and the report output\. \(comment-failure: fail; set it to warn to only warn\.\)$/,
      ),
    ]);
    expect(run.summary).toContain('## Image size report');
    expect(existsSync(run.outputs.report)).toBe(true);
    expect(run.outputs.status).toBe('pass');
    expect(run.stderr).toBe('');
  });

  it('rejects a comment-failure value it does not know, before building', async () => {
    const run = await runAction(onPullRequest(pullRequestRepo(), { 'comment-failure': 'ignore' }));
    expect(run.code).toBe(1);
    expect(run.stdout.trim()).toBe(
      '::error::comment-failure: "ignore" is not accepted. Use fail (the step fails when the comment cannot be posted) or warn (it only warns).',
    );
    expect(github.server.requests).toEqual([]);
  });
});

describe('two runs of the same pull request racing', () => {
  it('leave one comment: the run that created the newer one folds it into the older and deletes it', async () => {
    const repo = pullRequestRepo();
    const human = github.server.seedComment(OWNER, REPO, PR, `${MARKER}\nmine, says a human`, { login: 'octocat', type: 'User' });
    // Each run's first look at the comments is answered only when both have asked: neither sees the other's.
    github.server.holdUntil('issues/list-comments', 2);
    const [a, b] = await Promise.all([
      runAction(onPullRequest(repo, {}, { runId: '1001' })),
      runAction(onPullRequest(repo, {}, { runId: '1002', action: 'synchronize' })),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(calls('issues/create-comment').map((r) => r.status)).toEqual([201, 201]);
    const left = ours();
    expect(left).toHaveLength(1);
    const folded = [a, b].filter((r) =>
      /Comment (updated|unchanged) on #42 as github-actions\[bot\]: .* \(removed 1 duplicate a concurrent run left\)/.test(r.stdout),
    );
    expect(folded).toHaveLength(1);
    expect(left[0].body).toBe(folded[0].outputs.markdown);
    // The duplicate is removed once. When both runs posted the same body, the other run removes it too, as an
    // exact copy of its own, and GitHub answers that second removal 404, which the run takes as done.
    const deletes = calls('issues/delete-comment').map((r) => r.status);
    expect(deletes.filter((status) => status === 204)).toEqual([204]);
    expect(deletes.filter((status) => status !== 204 && status !== 404)).toEqual([]);
    expect(github.server.comments(OWNER, REPO, PR).find((c) => c.id === human.id)!.body).toBe(human.body);
    expect(toolImageTags()).toEqual([]);
  });
});

describe('the author of our comment', () => {
  it("with a GitHub App installation token, finds the App bot's comment from the last run and updates it", async () => {
    await github.restart({ appSlug: 'size-bot' });
    const repo = pullRequestRepo();
    const human = github.server.seedComment(OWNER, REPO, PR, `${MARKER}\npasted by a human`, { login: 'size-bot', type: 'User' });
    const quoted = github.server.seedComment(OWNER, REPO, PR, `> ${MARKER}\nquoted by a bot`, { login: 'other-app[bot]' });
    const first = await runAction(onPullRequest(repo, {}));
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Comment created on #42 as size-bot\[bot\]/);
    const second = await runAction(
      onPullRequest(repo, { 'comment-key': 'default', budgets: 'app: {max-layers: 99}' }, { action: 'synchronize' }),
    );
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Comment updated on #42 as size-bot\[bot\]/);
    expect(calls('issues/create-comment')).toHaveLength(1);
    expect(ours().map((c) => [c.user.login, c.body])).toEqual([['size-bot[bot]', second.outputs.markdown]]);
    const all = github.server.comments(OWNER, REPO, PR);
    expect(all.find((c) => c.id === human.id)!.body).toBe(human.body);
    expect(all.find((c) => c.id === quoted.id)!.body).toBe(quoted.body);
  });
});

describe('a pull request from a fork', () => {
  it('never fails for the read-only token, even with comment-failure: fail, and says once how to get comments', async () => {
    await github.restart({ readOnly: true });
    const run = await runAction(onPullRequest(pullRequestRepo(), { 'comment-failure': 'fail' }, { fork: true }));
    expect(run.code).toBe(0);
    const warnings = lines(run, '::warning::');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^::warning::Pull request #42 comes from a fork, so GitHub gives this workflow a read-only token and the comment cannot be posted \(HTTP 403\)/,
    );
    expect(warnings[0]).toContain('use the two-workflow setup');
    expect(warnings[0]).toContain('examples/workflows/');
    expect(lines(run, '::error::')).toEqual([]);
    expect(run.summary).toContain('## Image size report');
    expect(existsSync(run.outputs.report)).toBe(true);
    expect(github.server.comments(OWNER, REPO, PR)).toEqual([]);
  });
});

describe('pull_request_target', () => {
  it('refuses to build, with the reason and the way out, before touching anything', async () => {
    const repo = pullRequestRepo();
    const run = await runAction(onPullRequest(repo, {}, { eventName: 'pull_request_target' }));
    expect(run.code).toBe(1);
    const [error, ...rest] = lines(run, '::error::');
    expect(rest).toEqual([]);
    expect(error).toMatch(/^::error::This run is on pull_request_target, which gives it a write token and the repository's secrets/);
    expect(error).toContain('image-size-report refuses to build here');
    expect(error).toContain('set allow-pull-request-target: true');
    expect(run.stderr).toBe('');
    expect(github.server.requests).toEqual([]);
    expect(run.outputs).toEqual({});
    expect(existsSync(path.join(run.runnerTemp, 'image-size-report-default.json'))).toBe(false);
  });

  it('builds when the workflow opts in with allow-pull-request-target: true', async () => {
    const run = await runAction(
      onPullRequest(pullRequestRepo(), { 'allow-pull-request-target': 'true' }, { eventName: 'pull_request_target' }),
    );
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('pass');
    expect(ours()).toHaveLength(1);
  });

  it('rejects an allow-pull-request-target value that is not true or false', async () => {
    const run = await runAction(
      onPullRequest(pullRequestRepo(), { 'allow-pull-request-target': 'yes please' }, { eventName: 'pull_request_target' }),
    );
    expect(run.code).toBe(1);
    expect(run.stdout.trim()).toBe('::error::allow-pull-request-target: "yes please" is not accepted. Use true or false.');
  });
});

describe('the two-workflow setup for forks', () => {
  const HEAD = 'f'.repeat(40);
  const BASE = 'a'.repeat(40);

  /** A poster run: workflow_run event, the report "downloaded" into its workspace, no Docker engine at all. */
  function poster(reportFile: string, payload: Record<string, unknown>, inputs: Record<string, string> = {}): ActionRunOptions {
    const workspace = tempDir('poster');
    mkdirSync(path.join(workspace, 'artifact'));
    const target = path.join(workspace, 'artifact', path.basename(reportFile));
    writeFileSync(target, readFileSync(reportFile));
    return {
      workspace,
      inputs: { 'report-from': path.relative(workspace, target), ...inputs },
      eventName: 'workflow_run',
      payload,
      repository: `${OWNER}/${REPO}`,
      apiUrl: github.server.url,
      token: github.server.token,
      sha: 'b'.repeat(40), // the default branch: workflow_run runs there
      env: { ...FAST, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    };
  }

  function savedReport(mutate: (r: Record<string, any>) => void = () => {}): string {
    const r = reportOf(
      [
        variant('single-stage', 1, built(5_000_000, 5), built(4_000_000, 4)),
        variant('multi-stage', 2, built(1_200_000, 3), built(1_100_000, 3)),
      ],
      {
        'multi-stage': { maxSize: 2_000_000 },
      },
    ) as unknown as Record<string, any>;
    r.head = { ref: 'grow', sha: HEAD };
    mutate(r);
    const file = path.join(tempDir('artifact'), 'image-size-report-default.json');
    writeFileSync(file, JSON.stringify(r, null, 2));
    return file;
  }

  const forkRun = (headSha = HEAD) =>
    workflowRunPayload({
      owner: OWNER,
      repo: REPO,
      headSha,
      headBranch: 'grow',
      fork: true,
      pullRequest: { number: PR, baseRef: 'main', baseSha: BASE },
    });
  const forkPullRequest = (headSha = HEAD) =>
    (
      pullRequestPayload({
        owner: OWNER,
        repo: REPO,
        number: PR,
        baseSha: BASE,
        headSha,
        baseRef: 'main',
        headRef: 'grow',
        fork: true,
      }) as { pull_request: Record<string, unknown> }
    ).pull_request;

  it("the pull_request run measures and saves the report; the workflow_run run posts it on the fork's pull request", async () => {
    const repo = pullRequestRepo();
    const measure = await runAction(onPullRequest(repo, { comment: 'false', 'report-file': 'image-size.json' }, { fork: true }));
    expect(measure.code).toBe(0);
    expect(lines(measure, '::warning::')).toEqual([]);
    expect(github.server.requests).toEqual([]);

    github.server.seedPullRequest(OWNER, REPO, forkPullRequest(repo.headSha));
    const post = await runAction(poster(measure.outputs.report, forkRun(repo.headSha)));
    expect(post.stderr).toBe('');
    expect(post.code).toBe(0);
    // The pull request was found from the event (the fork's branch at the run's commit), not from the file.
    expect(calls('pulls/list').map((r) => r.query)).toEqual([{ state: 'open', head: `${FORK_OWNER}:grow`, per_page: '100' }]);
    expect(ours().map((c) => c.body)).toEqual([measure.outputs.markdown]);
    expect(post.outputs.markdown).toBe(measure.outputs.markdown);
    // Nothing the pipeline writes is lost on the way: the schema describes every field (extend it with the report).
    expect(JSON.parse(readFileSync(post.outputs.report, 'utf8'))).toEqual(JSON.parse(readFileSync(measure.outputs.report, 'utf8')));
    expect(post.summary).toBe(measure.summary);
    expect(post.outputs.status).toBe('pass');
  });

  it('on a same-repository pull request, uses the pull request GitHub linked to the run', async () => {
    const payload = workflowRunPayload({
      owner: OWNER,
      repo: REPO,
      headSha: HEAD,
      headBranch: 'grow',
      pullRequest: { number: PR, baseRef: 'main', baseSha: BASE },
    });
    const post = await runAction(poster(savedReport(), payload));
    expect(post.code).toBe(0);
    expect(calls('pulls/list')).toEqual([]);
    expect(ours()).toHaveLength(1);
    expect(ours()[0].body.startsWith(`${MARKER}\n## Image size report`)).toBe(true);
    // A second poster run (say, a re-run) updates the same comment.
    const again = await runAction(
      poster(
        savedReport((r) => (r.variants[0].head.sizeBytes = 5_100_000)),
        payload,
      ),
    );
    expect(again.code).toBe(0);
    expect(calls('issues/create-comment')).toHaveLength(1);
    expect(ours().map((c) => c.body)).toEqual([again.outputs.markdown]);
  });

  it('treats the report as data: unknown fields are dropped, derived text is recomputed, numbers made consistent', async () => {
    github.server.seedPullRequest(OWNER, REPO, forkPullRequest());
    const file = savedReport((r) => {
      r.engine.sizeMeaning = '@maintainers please merge <img src=https://evil.example/x.png>';
      r.variants[0].change = { sizeBytes: -4_000_000, sizeRatio: -0.8, layers: 0, buildMs: 0 }; // contradicts the sizes
      r.variants[0].head.html = '<script>alert(1)</script>';
      r.pwned = '@everyone';
      r.status = 'pass';
    });
    const post = await runAction(poster(file, forkRun()));
    expect(post.code).toBe(0);
    const body = ours()[0].body;
    expect(body).not.toContain('@maintainers');
    expect(body).not.toContain('evil.example');
    expect(body).not.toContain('<script>');
    expect(body).not.toContain('@everyone');
    // the saved engine's facts, worded by this tool
    const { goVersion, serverVersion, storage, containerdStore } = JSON.parse(readFileSync(file, 'utf8')).engine;
    expect(goVersion).toBe('go1.19.8');
    expect(body).toContain(`Size: ${sizeMeaning({ serverVersion, storage, containerdStore, goVersion })}`);
    expect(body).toMatch(/\| ✅ \*\*single-stage\*\* +\| Size +\| +4\.00 MB \| +5\.00 MB \| +\+1\.00 MB \(\+25\.0%\) \|/);
    expect(JSON.parse(readFileSync(post.outputs.report, 'utf8'))).not.toHaveProperty('pwned');
  });

  it('refuses a report that fails the schema, with the input, the file and the field, and posts nothing', async () => {
    github.server.seedPullRequest(OWNER, REPO, forkPullRequest());
    const file = savedReport((r) => (r.variants[1].name = 'multi<img src=x>'));
    const post = await runAction(poster(file, forkRun()));
    expect(post.code).toBe(1);
    expect(lines(post, '::error::')).toHaveLength(1);
    expect(post.stdout).toMatch(
      /^::error::report-from: ".*\/artifact\/image-size-report-default\.json" is not a valid image-size-report report \(schema version 2\): at \/variants\/1\/name, must match pattern .*\.$/m,
    );
    expect(post.stderr).toBe('');
    expect(github.server.requests).toEqual([]);
  });

  it('does not comment the report of a cancelled run (a newer run superseded it), and shows it as cancelled', async () => {
    github.server.seedPullRequest(OWNER, REPO, forkPullRequest());
    const file = savedReport((r) => {
      r.status = 'cancelled';
      r.cancelled = { signal: 'SIGINT' };
      r.variants[1].base = { status: 'cancelled', during: 'build' };
    });
    const post = await runAction(poster(file, forkRun()));
    expect(post.code).toBe(0);
    expect(post.stdout).toContain(
      'The report is of a run that was cancelled (SIGINT) before it finished: it is in the job summary, and no comment is posted.',
    );
    expect(github.server.requests).toEqual([]);
    expect(post.outputs.status).toBe('cancelled');
    expect(post.summary).toContain(
      '⏹️ The run was cancelled (SIGINT) before it finished: 3 of 4 images measured; the others are shown as not measured.',
    );
    // The schema keeps what marks it cancelled: without it, the report would read as a finished one.
    expect(JSON.parse(readFileSync(post.outputs.report, 'utf8'))).toMatchObject({ status: 'cancelled', cancelled: { signal: 'SIGINT' } });
  });

  it('refuses a report over 5 MB before reading it', async () => {
    const file = savedReport((r) => (r.padding = 'x'.repeat(5_000_001)));
    const post = await runAction(poster(file, forkRun()));
    expect(post.code).toBe(1);
    expect(post.stdout).toMatch(
      /^::error::report-from: ".*" is \d+ bytes, over the limit of 5000000 bytes for a report: refusing to read it\.$/m,
    );
    expect(github.server.requests).toEqual([]);
  });

  it('refuses a report of another commit than the run that triggered it', async () => {
    const post = await runAction(
      poster(
        savedReport((r) => (r.head.sha = 'c'.repeat(40))),
        forkRun(),
      ),
    );
    expect(post.code).toBe(1);
    expect(post.stdout.trim()).toBe(
      `::error::report-from: the report is for commit ${'c'.repeat(12)}, but the workflow run that triggered this one built ${'f'.repeat(12)}: refusing to post it. Download the artifact of that run (run-id: github.event.workflow_run.id).`,
    );
    expect(github.server.requests).toEqual([]);

    const noCommit = await runAction(
      poster(
        savedReport((r) => delete r.head.sha),
        forkRun(),
      ),
    );
    expect(noCommit.code).toBe(1);
    expect(noCommit.stdout).toContain(
      '::error::report-from: the report names no commit (head.sha), so it cannot be matched with the workflow run that triggered this one: refusing to post it.',
    );
    expect(github.server.requests).toEqual([]);
  });

  it('posts nothing when the pull request moved on since, or when the run was not for a pull request', async () => {
    github.server.seedPullRequest(OWNER, REPO, forkPullRequest('d'.repeat(40))); // pushed to again: a newer run will post
    const moved = await runAction(poster(savedReport(), forkRun()));
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain(`Nothing to comment on: no open pull request has ${FORK_OWNER}/${REPO}:grow at fffffff as its head`);
    expect(moved.summary).toContain('## Image size report');

    const push = workflowRunPayload({ owner: OWNER, repo: REPO, headSha: HEAD, headBranch: 'main', event: 'push' });
    const onPush = await runAction(poster(savedReport(), push));
    expect(onPush.code).toBe(0);
    expect(onPush.stdout).toContain('Nothing to comment on: the workflow run that triggered this one ran on push, not on a pull request.');
    expect(calls('issues/create-comment')).toEqual([]);
  });

  it('fails the step by default when the comment cannot be posted, as posting is its only job', async () => {
    github.server.seedPullRequest(OWNER, REPO, forkPullRequest());
    github.server.serverErrorNext(100, { operationId: 'issues/create-comment' });
    const post = await runAction(poster(savedReport(), forkRun()));
    expect(post.code).toBe(1);
    expect(lines(post, '::error::')).toEqual([
      expect.stringContaining('::error::The comment could not be posted on pull request #42: GitHub answered 502'),
    ]);
    expect(post.summary).toContain('## Image size report');

    // With comment-failure: warn, a pull request that cannot even be looked up is a warning.
    github.server.serverErrorNext(100, { operationId: 'pulls/list', status: 500 });
    const warned = await runAction(poster(savedReport(), forkRun(), { 'comment-failure': 'warn' }));
    expect(warned.code).toBe(0);
    expect(lines(warned, '::warning::')).toEqual([
      expect.stringMatching(
        /^::warning::The pull request of this workflow run could not be looked up: GitHub answered 500 to GET \/repos\/octo-org\/shop\/pulls\?state=open&head=external-contributor:grow&per_page=100 on every attempt \(3 retries\)\. The report is in the job summary/,
      ),
    ]);
    expect(warned.summary).toContain('## Image size report');
  });
});
