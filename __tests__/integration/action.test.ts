// The bundled action, run as a runner runs it, on a real pull request event, against a loopback GitHub API
// that rejects any request GitHub's OpenAPI description does not allow.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/types.js';
import { fakeGitHubPerTest } from '../support/github/index.js';
import { runAction, type ActionRunOptions } from '../support/run-action.js';
import { pullRequestPayload, pushPayload } from '../support/webhook-payloads.js';
import { toolImageTags } from '../support/docker-cli.js';
import { commitAll, repoFromFixture } from '../support/workspace.js';

const OWNER = 'octo-org';
const REPO = 'shop';
const PR = 42;
const MARKER = '<!-- image-size-report:default -->';
const VARIANTS = 'single-stage: Dockerfile.single\nmulti-stage: {dockerfile: Dockerfile, target: runtime}\n';

const github = fakeGitHubPerTest();

/** A repository with a base commit and a pull request commit on top that grows the single-stage image. */
function pullRequestRepo(): { dir: string; baseSha: string; headSha: string } {
  const { dir, sha: baseSha } = repoFromFixture('tiny-app');
  const file = path.join(dir, 'Dockerfile.single');
  writeFileSync(file, readFileSync(file, 'utf8').replace('COPY app.sh', 'RUN head -c 250000 /dev/zero > /app/cache.bin\nCOPY app.sh'));
  return { dir, baseSha, headSha: commitAll(dir, 'grow the single-stage image') };
}

function options(
  repo: ReturnType<typeof pullRequestRepo>,
  inputs: Record<string, string>,
  action: 'opened' | 'synchronize' = 'opened',
): ActionRunOptions {
  return {
    workspace: repo.dir,
    inputs,
    eventName: 'pull_request',
    payload: pullRequestPayload({
      action,
      owner: OWNER,
      repo: REPO,
      number: PR,
      baseSha: repo.baseSha,
      headSha: repo.headSha,
      baseRef: 'main',
      headRef: 'grow',
    }),
    repository: `${OWNER}/${REPO}`,
    apiUrl: github.server.url,
    token: github.server.token,
    sha: repo.headSha,
  };
}

describe('on a pull request', () => {
  it('builds both sides, comments once, updates that comment on the next push, and writes outputs, summary and report', async () => {
    const repo = pullRequestRepo();
    const human = github.server.seedComment(OWNER, REPO, PR, `${MARKER}\nI pasted the marker, but this is my comment.`, {
      login: 'octocat',
      type: 'User',
    });

    const first = await runAction(
      options(repo, { variants: VARIANTS, budgets: 'multi-stage: {max-size: 50MB, max-ratio: {of: single-stage, max: 90%}}' }),
    );
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    const ours = github.server.comments(OWNER, REPO, PR).filter((c) => c.id !== human.id);
    expect(ours).toHaveLength(1);
    const body = ours[0].body;
    expect(body.startsWith(`${MARKER}\n## Image size report`)).toBe(true);
    expect(ours[0].user.login).toBe('github-actions[bot]');
    expect(body).toMatch(/\| ✅ \*\*single-stage\*\* +\| Size +\| +[\d.]+ MB \| +[\d.]+ MB \| +\+2\d\d kB \(\+\d+\.\d%\) \|/);
    expect(body).toMatch(/\| +\| Layers +\| +4 \(3 added, 3 with content\) \| +5 \(4 added, \d with content\) \| +\+1 \|/);
    expect(body).toMatch(/\| +\| Compressed +\| +[\d.]+ [kM]B \| +[\d.]+ [kM]B \| +[-+]?[\d.]+ [kM]?B \([-+]?\d+\.\d%\) \|/);
    expect(body).toMatch(/\*\*multi-stage\*\* is \*\*\d+\.\d% smaller\*\* than \*\*single-stage\*\*/);
    expect(body).toContain(`Base: rebuilt from \`main\` at \`${repo.baseSha.slice(0, 7)}\`.`);
    expect(github.server.comments(OWNER, REPO, PR).find((c) => c.id === human.id)!.body).toBe(human.body);

    expect(first.outputs.status).toBe('pass');
    expect(first.outputs.markdown).toBe(body);
    expect(first.summary).toContain('## Image size report');
    expect(first.summary).toContain('| ✅ **multi-stage**');
    const report = JSON.parse(readFileSync(first.outputs.report, 'utf8')) as Report;
    expect(path.dirname(first.outputs.report)).toBe(first.runnerTemp);
    expect(report.status).toBe('pass');
    expect(report.base).toEqual({ source: 'rebuild', sha: repo.baseSha, ref: 'main' });
    expect(report.head).toEqual({ sha: repo.headSha, ref: 'grow' });
    expect(report.variants.map((v) => [v.name, v.change?.layers])).toEqual([
      ['single-stage', 1],
      ['multi-stage', 0],
    ]);
    expect(toolImageTags()).toEqual([]);

    const posts = () => github.server.requests.filter((r) => r.method === 'POST').length;
    expect(posts()).toBe(1);
    const second = await runAction(options(repo, { variants: VARIANTS }, 'synchronize'));
    expect(second.code).toBe(0);
    expect(posts()).toBe(1);
    const patch = github.server.requests.filter((r) => r.method === 'PATCH');
    expect(patch.map((r) => r.path)).toEqual([`/repos/${OWNER}/${REPO}/issues/comments/${ours[0].id}`]);
    const after = github.server.comments(OWNER, REPO, PR);
    expect(after).toHaveLength(2);
    expect(after.find((c) => c.id === ours[0].id)!.body).toBe(second.outputs.markdown);
    expect(second.outputs.markdown).not.toContain('Budgets'); // the second run had no budgets: the comment shows the new run
  });

  it('fails the check when a budget is broken, naming the variant, the budget, the limit and the measured value', async () => {
    const repo = pullRequestRepo();
    const run = await runAction(
      options(repo, { variants: VARIANTS, budgets: "'*': {max-size: 1MB}\nsingle-stage: {max-increase: 100kB}", baseline: 'rebuild' }),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^::error::single-stage: budget max-size broken: size \d\.\d\d MB is over the limit of 1\.00 MB\.%0Asingle-stage: budget max-increase broken: growth against the base of \+2\d\d kB is over the limit of 100 kB\.%0Amulti-stage: budget max-size broken: size \d\.\d\d MB is over the limit of 1\.00 MB\.$/m,
    );
    expect(run.outputs.status).toBe('fail');
    const [comment] = github.server.comments(OWNER, REPO, PR);
    expect(comment.body).toContain('❌ 3 budgets broken.');
    expect(comment.body).toContain('<details open><summary>Budgets</summary>');
  });

  it('with fail-on-budget off, reports the breach as a warning and passes the step', async () => {
    const repo = pullRequestRepo();
    const run = await runAction(
      options(repo, { variants: VARIANTS, budgets: 'multi-stage: {max-layers: 1}', 'fail-on-budget': 'false', baseline: 'none' }),
    );
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe('fail');
    expect(run.stdout).toMatch(
      /^::warning::multi-stage: budget max-layers broken: \d+ layers is over the limit of 1\. \(fail-on-budget is off\)$/m,
    );
    expect(run.outputs.markdown).not.toContain('| Base');
  });

  it('rejects bad input with one clear error and no stack trace, before building or commenting', async () => {
    const repo = pullRequestRepo();
    const run = await runAction(options(repo, { variants: VARIANTS, budgets: 'multistage: {max-size: 100MB}' }));
    expect(run.code).toBe(1);
    expect(run.stdout.trim()).toBe(
      '::error::budgets: "multistage" is not a variant. Known variants: single-stage, multi-stage (or "*" for all).',
    );
    expect(run.stderr).toBe('');
    expect(github.server.requests).toEqual([]);
    expect(existsSync(path.join(run.runnerTemp, 'image-size-report-default.json'))).toBe(false);
  });

  it('takes its settings from .github/image-size.yml, with inputs laid over them', async () => {
    const repo = pullRequestRepo();
    writeFileSync(
      path.join(repo.dir, '.github-config.yml'),
      `variants:\n  only-multi: {dockerfile: Dockerfile, target: runtime}\nbaseline: none\ncomment-key: config\nunits: binary\n`,
    );
    const run = await runAction(options(repo, { config: '.github-config.yml', units: 'decimal' }));
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(run.outputs.report, 'utf8')) as Report;
    expect(report.variants.map((v) => v.name)).toEqual(['only-multi']);
    expect(report.units).toBe('decimal');
    expect(path.basename(run.outputs.report)).toBe('image-size-report-config.json');
    expect(github.server.comments(OWNER, REPO, PR)[0].body.startsWith('<!-- image-size-report:config -->')).toBe(true);
  });
});

describe('on a push', () => {
  it('with baseline rebuild, compares with the commit the branch was pushed from, and prints the table in the log', async () => {
    const repo = pullRequestRepo();
    const run = await runAction({
      ...options(repo, { variants: VARIANTS, baseline: 'rebuild' }),
      eventName: 'push',
      payload: pushPayload({ owner: OWNER, repo: REPO, ref: 'refs/heads/main', before: repo.baseSha, after: repo.headSha }),
    });
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(run.outputs.report, 'utf8')) as Report;
    expect(report.base).toEqual({ source: 'rebuild', sha: repo.baseSha, ref: 'main@{before}' });
    expect(report.variants.find((v) => v.name === 'single-stage')!.change!.layers).toBe(1);
    expect(run.stdout).toMatch(/^\| single-stage +\| Size +\| +[\d.]+ MB \| +[\d.]+ MB \| +\+2\d\d kB/m);
    expect(github.server.requests).toEqual([]); // nothing to comment on
  });

  it('with the default baseline, reports this commit alone', async () => {
    const repo = pullRequestRepo();
    const run = await runAction({
      ...options(repo, { variants: VARIANTS }),
      eventName: 'push',
      payload: pushPayload({ owner: OWNER, repo: REPO, ref: 'refs/heads/main', before: repo.baseSha, after: repo.headSha }),
    });
    expect(run.code).toBe(0);
    expect((JSON.parse(readFileSync(run.outputs.report, 'utf8')) as Report).base).toEqual({ source: 'none' });
    expect(run.outputs.markdown).toMatch(/\| Variant +\| +\| +This commit \|/);
  });
});

describe('build output in the log', () => {
  it('cannot issue workflow commands: it is fenced with stop-commands', async () => {
    const repo = pullRequestRepo();
    writeFileSync(
      path.join(repo.dir, 'Dockerfile.loud'),
      'FROM busybox:latest\nRUN echo "::error::injected by the build" && echo "::add-mask::busybox"\n',
    );
    // Failing too, so its output also reaches the report printed at the end.
    writeFileSync(
      path.join(repo.dir, 'Dockerfile.loud-failing'),
      'FROM busybox:latest\nRUN echo "::add-mask::MB" && echo "::error::injected by a failure" && exit 1\n',
    );
    const run = await runAction(
      options(repo, { variants: 'loud: Dockerfile.loud\nloud-failing: Dockerfile.loud-failing', baseline: 'none', comment: 'false' }),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ {2}\| ::error::injected by a failure$/m); // in the printed report, as text
    let fence: string | undefined;
    const live: string[] = [];
    for (const line of run.stdout.split('\n')) {
      const stop = /^::stop-commands::(.+)$/.exec(line);
      if (fence === undefined && stop) fence = stop[1];
      else if (fence !== undefined && line === `::${fence}::`) fence = undefined;
      else if (fence === undefined && line.startsWith('::')) live.push(line);
    }
    expect(run.stdout).toContain('::error::injected by the build'); // shown, as text
    // Commands the build printed would start the line; quoting them inside our own message is harmless.
    expect(live.filter((l) => l.startsWith('::error::injected') || l.startsWith('::add-mask::'))).toEqual([]);
    expect(live.filter((l) => l.startsWith('::error::'))).toEqual([
      '::error::loud-failing: the build failed at [2/2] RUN echo "::add-mask::MB" && echo "::error::injected by a failure" && exit 1.',
    ]);
    expect(fence).toBeUndefined(); // commands are on again after the build
  });
});

describe('on a pull request from a fork', () => {
  it('cannot comment with the read-only token, so it warns once and keeps the summary and report', async () => {
    await github.restart({ readOnly: true });
    const repo = pullRequestRepo();
    const opts = options(repo, { variants: VARIANTS, baseline: 'none' });
    opts.payload = pullRequestPayload({ owner: OWNER, repo: REPO, number: PR, baseSha: repo.baseSha, headSha: repo.headSha, fork: true });
    const run = await runAction(opts);
    expect(run.code).toBe(0);
    const warnings = run.stdout.split('\n').filter((l) => l.startsWith('::warning::'));
    expect(warnings).toEqual([expect.stringMatching(/comes from a fork, so GitHub gives this workflow a read-only token/)]);
    expect(run.summary).toContain('## Image size report');
    expect(existsSync(run.outputs.report)).toBe(true);
    expect(github.server.comments(OWNER, REPO, PR)).toEqual([]);
  });
});
