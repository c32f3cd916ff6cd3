// No build-arg value (from the workflow, the config file, or the environment) and nothing registered with the
// runner's masker may appear in anything the action writes: the comment, the job summary, the JSON report,
// the outputs and the log. The bundled action runs as a runner runs it, with both builders, on Dockerfiles
// that use the values in RUN steps, echo them from a failing step (also under `set -x`), with a broken budget.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/types.js';
import { fakeGitHubPerTest } from '../support/github/index.js';
import { runAction } from '../support/run-action.js';
import { pullRequestPayload } from '../support/webhook-payloads.js';
import { toolImageTags } from '../support/docker-cli.js';
import { commitAll, repoFromFixture } from '../support/workspace.js';

const OWNER = 'octo-org';
const REPO = 'shop';
const PR = 7;

/** Values with spaces, both quotes, `|`, backticks, `$`, Markdown and HTML, and line breaks. */
const SECRETS = {
  TOKEN: `tok en|"dq" 'sq' \`bt\` $x & <b>@admin</b>`,
  MULTI: 'first line of the secret\nsecond|line "q" here\n  third line  ',
  FROM_ENV: 'env-secret value|with "quotes"\nand its second line',
};

const ARGS = 'ARG TOKEN\nARG MULTI\nARG FROM_ENV\n';

const github = fakeGitHubPerTest();

function secretRepo(): { dir: string; baseSha: string; headSha: string } {
  const { dir, sha: baseSha } = repoFromFixture('tiny-app');
  writeFileSync(
    path.join(dir, 'Dockerfile.secret'),
    `FROM busybox:latest\n${ARGS}RUN echo "token: $TOKEN" > /token.txt && printf '%s\\n' "$MULTI" "$FROM_ENV" > /more.txt\nRUN echo "again $TOKEN" && cat /more.txt\n`,
  );
  writeFileSync(
    path.join(dir, 'Dockerfile.secret-fail'),
    `FROM busybox:latest\n${ARGS}RUN set -x && echo "leaking $TOKEN" && printf '%s\\n' "$MULTI" "$FROM_ENV" && echo "{\\"t\\":\\"$TOKEN\\"}" && exit 3\n`,
  );
  // The values come from the config file, except FROM_ENV: a bare name takes the step's environment variable.
  writeFileSync(
    path.join(dir, 'image-size.yml'),
    stringify({
      variants: { ok: 'Dockerfile.secret', failing: 'Dockerfile.secret-fail' },
      'build-args': { TOKEN: SECRETS.TOKEN, MULTI: SECRETS.MULTI, FROM_ENV: null },
      budgets: { ok: { 'max-size': '1kB' } },
      baseline: 'none',
    }),
  );
  return { dir, baseSha, headSha: commitAll(dir, 'use secrets in the build') };
}

/** Every spelling of a value a reader could find: as is, each line, JSON-escaped, workflow-command-escaped, shell-quoted. */
function spellings(value: string): string[] {
  const lines = value
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length >= 3);
  return [
    ...new Set([
      value,
      ...lines,
      JSON.stringify(value).slice(1, -1),
      value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'),
      value.replace(/'/g, `'"'"'`),
      value.replace(/'/g, `'\\''`),
    ]),
  ];
}

describe.each(['buildkit', 'legacy'])('with the %s builder', (builder) => {
  it('writes no build-arg value anywhere: comment, summary, report, outputs, log', async () => {
    const repo = secretRepo();
    const run = await runAction({
      workspace: repo.dir,
      inputs: { config: 'image-size.yml', builder },
      env: { FROM_ENV: SECRETS.FROM_ENV },
      eventName: 'pull_request',
      payload: pullRequestPayload({ owner: OWNER, repo: REPO, number: PR, baseSha: repo.baseSha, headSha: repo.headSha }),
      repository: `${OWNER}/${REPO}`,
      apiUrl: github.server.url,
      token: github.server.token,
      sha: repo.headSha,
    });

    // It did what a run does: one variant failed, the other broke its budget, the comment was posted.
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^::error::failing: the build failed at .*ok: budget max-size broken: size [\d.]+ MB is over the limit of 1\.00 kB\.$/m,
    );
    const report = JSON.parse(readFileSync(run.outputs.report, 'utf8')) as Report;
    expect(report.variants.map((v) => [v.name, v.head.status])).toEqual([
      ['ok', 'built'],
      ['failing', 'failed'],
    ]);
    const [comment] = github.server.comments(OWNER, REPO, PR);
    expect(comment.body).toContain('### 💥 failing failed to build');
    // The values were there to leak: what replaced them shows in the failure's output.
    const failing = report.variants[1].head;
    expect(failing.status === 'failed' && failing.log.join('\n')).toContain('leaking ***');
    expect(comment.body).toContain('leaking ***');

    // The runner's masker was told every value and each of its lines (a real runner hides these commands).
    const masks = run.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'));
    expect(masks).toEqual(
      expect.arrayContaining([`::add-mask::${SECRETS.TOKEN}`, '::add-mask::first line of the secret', '::add-mask::and its second line']),
    );

    const written: Record<string, string> = {
      'comment (every request body sent to GitHub)': JSON.stringify(github.server.requests.map((r) => r.body)),
      'comment body': comment.body,
      'job summary': run.summary,
      'JSON report': readFileSync(run.outputs.report, 'utf8'),
      'outputs file': readFileSync(path.join(run.runnerTemp, 'output.txt'), 'utf8'),
      'log (stdout, without the add-mask commands)': run.stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n'),
      'log (stderr)': run.stderr,
    };
    const found: string[] = [];
    for (const [name, value] of Object.entries(SECRETS)) {
      for (const spelling of spellings(value)) {
        for (const [where, text] of Object.entries(written))
          if (text.includes(spelling)) found.push(`${name} as ${JSON.stringify(spelling)} in the ${where}`);
      }
    }
    expect(found).toEqual([]);
    expect(toolImageTags()).toEqual([]);
  });
});
