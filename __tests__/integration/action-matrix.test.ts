// One comment for a matrix: jobs that each measure their images and save a report (the bundled action, on a
// real engine), then one job that posts them all with report-from a directory or a glob, as a runner runs it,
// against the loopback GitHub: on the same pull_request event, and on workflow_run for forks.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeGitHubPerTest } from '../support/github/index.js';
import { runAction, type ActionRun, type ActionRunOptions } from '../support/run-action.js';
import { FORK_OWNER, pullRequestPayload, workflowRunPayload } from '../support/webhook-payloads.js';
import { commitAll, repoFromFixture, tempDir } from '../support/workspace.js';

const OWNER = 'octo-org';
const REPO = 'shop';
const PR = 42;
const MARKER = '<!-- image-size-report:default -->';
const FAST = { IMAGE_SIZE_REPORT_GITHUB_WAIT_UNIT_MS: '5' };

const github = fakeGitHubPerTest();

const lines = (run: ActionRun, prefix: string) => run.stdout.split('\n').filter((l) => l.startsWith(prefix));
const ours = () => github.server.comments(OWNER, REPO, PR).filter((c) => c.body.startsWith(MARKER) && c.user.type === 'Bot');
const calls = (operationId: string) => github.server.requests.filter((r) => r.operationId === operationId);
/** The heading of the runtime job's section: its name escaped (the mention broken by a zero-width space). */
const RUNTIME = '### ✅ runtime &lt;img src=x&gt; @&#8203;team';
/** The section headings of a merged comment, in order. */
const sections = (md: string) => md.split('\n').filter((l) => /^### (✅|❌|⏹️) /.test(l));

interface Repo {
  dir: string;
  baseSha: string;
  headSha: string;
}

function pullRequest(repo: Repo, fork = false): Record<string, unknown> {
  return pullRequestPayload({
    owner: OWNER,
    repo: REPO,
    number: PR,
    baseSha: repo.baseSha,
    headSha: repo.headSha,
    baseRef: 'main',
    headRef: 'grow',
    fork,
  });
}

function onPullRequest(
  repo: Repo,
  inputs: Record<string, string>,
  workspace = repo.dir,
  api = { url: github.server.url, token: github.server.token },
): ActionRunOptions {
  return {
    workspace,
    inputs,
    eventName: 'pull_request',
    payload: pullRequest(repo),
    repository: `${OWNER}/${REPO}`,
    apiUrl: api.url,
    token: api.token,
    sha: repo.headSha,
    env: FAST,
  };
}

/** The three jobs of the matrix, as `strategy.matrix` would run them: each measures a variant and saves its report. */
const JOBS = [
  { job: 'single', name: 'single-stage (Dockerfile.single)', variants: 'single: {dockerfile: Dockerfile.single}', budgets: '' },
  { job: 'runtime', name: 'runtime <img src=x> @team', variants: 'app: {dockerfile: Dockerfile, target: runtime}', budgets: '' },
  // This job's budget is broken: its report fails, and so does the one verdict.
  {
    job: 'tight',
    name: 'builder, tight budget',
    variants: 'builder: {dockerfile: Dockerfile, target: builder}',
    budgets: 'builder: {max-size: 10kB}',
  },
] as const;

let repo: Repo;
/** The report file of each job, by job; and the comment each would have posted alone. */
const saved = new Map<string, { file: string; markdown: string; run: ActionRun }>();

beforeAll(async () => {
  const { dir, sha: baseSha } = repoFromFixture('tiny-app');
  writeFileSync(path.join(dir, 'app.sh'), 'echo changed\n');
  repo = { dir, baseSha, headSha: commitAll(dir, 'change the app') };
  for (const { job, name, variants, budgets } of JOBS) {
    const inputs = {
      variants,
      ...(budgets ? { budgets } : {}),
      baseline: 'none',
      comment: 'false',
      'compressed-size': 'false',
      'report-name': name,
      'report-file': `out/image-size-${job}.json`,
    };
    // No GitHub call may be made by a measuring job with comment: false: nothing listens at that port.
    const run = await runAction(onPullRequest(repo, inputs, repo.dir, { url: 'http://127.0.0.1:9', token: 'ghs_unused' }));
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(job === 'tight' ? 1 : 0);
    saved.set(job, { file: run.outputs.report, markdown: run.outputs.markdown, run });
  }
}, 300_000);

/** A posting job's workspace, with the reports laid out as download-artifact leaves them. */
function downloaded(layout: 'merge-multiple' | 'per-artifact', jobs = JOBS.map((j) => j.job as string)): string {
  const workspace = tempDir('poster');
  for (const job of jobs) {
    const target =
      layout === 'merge-multiple'
        ? path.join(workspace, 'reports', `image-size-${job}.json`)
        : path.join(workspace, 'reports', `image-size-${job}`, 'image-size-report-default.json');
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(saved.get(job)!.file, target);
  }
  return workspace;
}

describe('the posting job of a matrix, on the same pull_request event', () => {
  it('posts one comment: a section per report, ordered by report name, and the worst verdict', async () => {
    const workspace = downloaded('merge-multiple');
    const post = await runAction({
      ...onPullRequest(repo, { 'report-from': 'reports' }, workspace),
      env: { ...FAST, DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, // it builds nothing
    });
    expect(post.stderr).toBe('');
    expect(post.code, post.stdout).toBe(0); // the measuring jobs' checks carry the verdict
    expect(calls('issues/create-comment')).toHaveLength(1);
    const [comment] = ours();
    expect(comment.body).toBe(post.outputs.markdown);
    expect(comment.body.startsWith(`${MARKER}\n## Image size report\n\n❌ 1 of 3 reports fails: builder, tight budget.\n`)).toBe(true);
    // By name (code units): "builder..." < "runtime..." < "single-stage..."; the names are escaped.
    expect(sections(comment.body)).toEqual(['### ❌ builder, tight budget', RUNTIME, '### ✅ single-stage (Dockerfile.single)']);
    expect(comment.body).not.toContain('<img');
    // Each section is what that job's own comment would have shown, under its title.
    const alone = saved.get('single')!.markdown.replace(`${MARKER}\n## Image size report`, '### ✅ single-stage (Dockerfile.single)');
    expect(alone.startsWith('### ✅ single-stage')).toBe(true);
    expect(comment.body).toContain(alone);
    expect(post.outputs.status).toBe('fail');
    expect(sections(post.summary)).toEqual(sections(comment.body));
    expect(post.summary).not.toContain(MARKER);
    const merged = JSON.parse(readFileSync(post.outputs.report, 'utf8'));
    expect(merged.status).toBe('fail');
    expect(merged.refused).toEqual([]);
    expect(merged.reports.map((r: { file: string }) => r.file)).toEqual([
      'reports/image-size-tight.json',
      'reports/image-size-runtime.json',
      'reports/image-size-single.json',
    ]);
    expect(merged.reports[2].report).toEqual(JSON.parse(readFileSync(saved.get('single')!.file, 'utf8')));

    // The same reports come again (a re-run): the comment is updated, not posted twice.
    const again = await runAction({
      ...onPullRequest(repo, { 'report-from': 'reports/*.json' }, workspace),
      env: { ...FAST, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    expect(again.code).toBe(0);
    expect(again.outputs.markdown).toBe(post.outputs.markdown);
    expect(calls('issues/create-comment')).toHaveLength(1);
    expect(ours()).toHaveLength(1);
  });

  it('refuses a report that fails validation, names it, posts the others and fails the step', async () => {
    const workspace = downloaded('merge-multiple', ['single', 'runtime']);
    const bad = JSON.parse(readFileSync(saved.get('single')!.file, 'utf8'));
    bad.variants[0].name = 'x<script>';
    writeFileSync(path.join(workspace, 'reports', 'image-size-evil.json'), JSON.stringify(bad));
    writeFileSync(path.join(workspace, 'reports', 'not-json.json'), '{"schemaVersion": 2,');
    const post = await runAction({
      ...onPullRequest(repo, { 'report-from': 'reports/*.json' }, workspace),
      env: { ...FAST, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    expect(post.stderr).toBe('');
    expect(post.code).toBe(1);
    expect(lines(post, '::error::')).toEqual([
      expect.stringMatching(
        /^::error::report-from: ".*\/reports\/image-size-evil\.json" is not a valid image-size-report report \(schema version 2\): at \/variants\/0\/name, must match pattern/,
      ),
      expect.stringMatching(/^::error::report-from: ".*\/reports\/not-json\.json" is not valid JSON/),
      '::error::report-from: 2 of 4 reports were refused (the errors above say why); the comment and the job summary show the others and name the refused ones.',
    ]);
    const [comment] = ours();
    expect(sections(comment.body)).toEqual([RUNTIME, '### ✅ single-stage (Dockerfile.single)']);
    expect(comment.body).toContain(
      '❌ 2 of 4 reports were refused and are not shown (not a valid report, or not of the commit the run built; the log of this step says why): `reports/image-size-evil.json`, `reports/not-json.json`.',
    );
    expect(comment.body).not.toContain('<script>');
    expect(post.outputs.status).toBe('fail');
  });

  it('names the input, the value and what it looked for when nothing matches, and refuses too many reports', async () => {
    const workspace = downloaded('merge-multiple', ['single']);
    const none = await runAction(onPullRequest(repo, { 'report-from': 'artifacts/**/*.json' }, workspace));
    expect(none.code).toBe(1);
    expect(lines(none, '::error::')).toEqual([
      expect.stringMatching(
        /^::error::report-from: "artifacts\/\*\*\/\*\.json" matched no file: looked for files matching that glob under ".*poster.*"\. It must match the JSON reports/,
      ),
    ]);
    mkdirSync(path.join(workspace, 'empty'));
    const empty = await runAction(onPullRequest(repo, { 'report-from': 'empty' }, workspace));
    expect(empty.code).toBe(1);
    expect(lines(empty, '::error::')).toEqual([
      expect.stringMatching(/^::error::report-from: "empty" is a directory with no \*\.json file in it\./),
    ]);
    for (let i = 0; i < 101; i++) cpSync(saved.get('single')!.file, path.join(workspace, 'reports', `copy-${i}.json`));
    const many = await runAction(onPullRequest(repo, { 'report-from': 'reports' }, workspace));
    expect(many.code).toBe(1);
    expect(lines(many, '::error::')).toEqual([
      '::error::report-from: "reports" names 102 files, over the limit of 100 reports for one comment: refusing to read them. Narrow the glob, or post with several comment-keys.',
    ]);
    expect(github.server.requests).toEqual([]);
  });

  it('rejects a report-name of more than one line before building', async () => {
    const run = await runAction(onPullRequest(repo, { variants: JOBS[0].variants, 'report-name': 'a\nb', comment: 'false' }));
    expect(run.code).toBe(1);
    expect(lines(run, '::error::')).toEqual([
      '::error::report-name: "a\\nb" is not accepted. Use one line of at most 100 characters (it titles this report\'s section when several reports are posted as one comment).',
    ]);
  });
});

describe('the posting job of a matrix on workflow_run (pull requests from forks)', () => {
  const forkRun = (headSha: string) =>
    workflowRunPayload({
      owner: OWNER,
      repo: REPO,
      headSha,
      headBranch: 'grow',
      fork: true,
      pullRequest: { number: PR, baseRef: 'main', baseSha: repo.baseSha },
    });
  const poster = (workspace: string, inputs: Record<string, string>): ActionRunOptions => ({
    workspace,
    inputs,
    eventName: 'workflow_run',
    payload: forkRun(repo.headSha),
    repository: `${OWNER}/${REPO}`,
    apiUrl: github.server.url,
    token: github.server.token,
    sha: 'b'.repeat(40),
    env: { ...FAST, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
  });

  it("posts the artifacts' reports (a folder per artifact) as one comment on the fork's pull request", async () => {
    github.server.seedPullRequest(OWNER, REPO, (pullRequest(repo, true) as { pull_request: Record<string, unknown> }).pull_request);
    const post = await runAction(poster(downloaded('per-artifact'), { 'report-from': 'reports/**/*.json' }));
    expect(post.stderr).toBe('');
    expect(post.code, post.stdout).toBe(0);
    expect(calls('pulls/list').map((r) => r.query)).toEqual([{ state: 'open', head: `${FORK_OWNER}:grow`, per_page: '100' }]);
    const [comment] = ours();
    expect(sections(comment.body)).toEqual(['### ❌ builder, tight budget', RUNTIME, '### ✅ single-stage (Dockerfile.single)']);
    expect(comment.body).toBe(post.outputs.markdown);
    expect(post.outputs.status).toBe('fail');
  });

  it('checks the commit of each report: one of another commit is refused and named, the others posted', async () => {
    github.server.seedPullRequest(OWNER, REPO, (pullRequest(repo, true) as { pull_request: Record<string, unknown> }).pull_request);
    const workspace = downloaded('per-artifact', ['single', 'tight']);
    const stale = JSON.parse(readFileSync(saved.get('runtime')!.file, 'utf8'));
    stale.head.sha = 'c'.repeat(40);
    mkdirSync(path.join(workspace, 'reports', 'image-size-runtime'));
    writeFileSync(path.join(workspace, 'reports', 'image-size-runtime', 'image-size-report-default.json'), JSON.stringify(stale));
    const post = await runAction(poster(workspace, { 'report-from': 'reports/**/*.json' }));
    expect(post.code).toBe(1);
    expect(lines(post, '::error::')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^::error::report-from: "reports/image-size-runtime/image-size-report-default\\.json": the report is for commit c{12}, but the workflow run that triggered this one built ${repo.headSha.slice(0, 12)}: refusing to post it\\.`,
        ),
      ),
      '::error::report-from: 1 of 3 reports was refused (the errors above say why); the comment and the job summary show the others and name the refused ones.',
    ]);
    const [comment] = ours();
    expect(sections(comment.body)).toEqual(['### ❌ builder, tight budget', '### ✅ single-stage (Dockerfile.single)']);
    expect(comment.body).toContain('`reports/image-size-runtime/image-size-report-default.json`');
  });

  it('posts nothing when every report is refused', async () => {
    const workspace = tempDir('poster');
    mkdirSync(path.join(workspace, 'reports'));
    writeFileSync(path.join(workspace, 'reports', 'a.json'), '[]');
    const post = await runAction(poster(workspace, { 'report-from': 'reports' }));
    expect(post.code).toBe(1);
    expect(lines(post, '::error::').at(-1)).toBe(
      '::error::report-from: no report that "reports" names can be posted: the one found was refused (the errors above say why).',
    );
    expect(github.server.requests).toEqual([]);
  });
});
