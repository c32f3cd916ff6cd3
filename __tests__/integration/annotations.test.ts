// The bundled action, run as a runner runs it, on a pull request that grows one multi-line RUN of one variant and
// adds a COPY to another: its log carries `::warning file=…,line=…` annotations on those Dockerfile lines (paths from
// the repository root, though the app is in a subfolder), one per broken budget that line causes; and the comment
// and job summary carry the chart.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeGitHubPerTest } from '../support/github/index.js';
import { runAction } from '../support/run-action.js';
import { pullRequestPayload } from '../support/webhook-payloads.js';
import { commitAll, git, tempDir } from '../support/workspace.js';

const OWNER = 'octo-org';
const REPO = 'shop';
const PR = 7;
const github = fakeGitHubPerTest();
const SECRET = 'annotation-secret-4f9c2';

/** A repository with tiny-app in services/tiny, and a pull request commit that grows both of its Dockerfiles. */
function pullRequestRepo(): { dir: string; baseSha: string; headSha: string } {
  const dir = tempDir('repo');
  const app = path.join(dir, 'services', 'tiny');
  cpSync(path.resolve(import.meta.dirname, '../fixtures/tiny-app'), app, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  const baseSha = commitAll(dir, 'base');
  // Single-stage: line 4's RUN is edited into three lines that write 300 kB more (and read a build arg, whose value
  // image history records in clear text); an ARG before it moves it to line 5.
  const single = path.join(app, 'Dockerfile.single');
  const before = readFileSync(single, 'utf8');
  const run = 'RUN head -c 1000000 /dev/zero > /app/toolchain.bin && echo built > /app/artifact.txt';
  expect(before.split('\n')[3]).toBe(run);
  writeFileSync(
    single,
    before.replace(
      run,
      'ARG TOKEN\nRUN head -c 1000000 /dev/zero > /app/toolchain.bin \\\n  && head -c 300000 /dev/zero > /app/cache.bin \\\n  && test -n "$TOKEN" && echo built > /app/artifact.txt',
    ),
  );
  // Multi-stage: a new COPY after line 7.
  const multi = path.join(app, 'Dockerfile');
  writeFileSync(
    multi,
    readFileSync(multi, 'utf8').replace('COPY app.sh /app/app.sh\n', 'COPY app.sh /app/app.sh\nCOPY big.bin /app/big.bin\n'),
  );
  expect(readFileSync(multi, 'utf8').split('\n')[7]).toBe('COPY big.bin /app/big.bin');
  writeFileSync(path.join(app, 'big.bin'), Buffer.alloc(200_000, 7));
  return { dir, baseSha, headSha: commitAll(dir, 'grow both images') };
}

describe('annotations on the Dockerfile', () => {
  it('warns on the line that grew most in each variant, and on each broken budget that line causes', async () => {
    const repo = pullRequestRepo();
    const run = await runAction({
      workspace: repo.dir,
      inputs: {
        'working-directory': 'services/tiny',
        variants: 'single-stage: Dockerfile.single\nmulti-stage: {dockerfile: Dockerfile, target: runtime}\n',
        // single-stage's max-increase breaks because of the RUN; its max-size (1 MB) would break without it too.
        // multi-stage's max-layers breaks because of the new COPY's layer.
        budgets: 'single-stage: {max-increase: 100kB, max-size: 1MB}\nmulti-stage: {max-layers: 3}\n',
        'fail-on-budget': 'false',
        'build-args': `TOKEN=${SECRET}`,
      },
      eventName: 'pull_request',
      payload: pullRequestPayload({
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
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const annotations = warnings(run.stdout).filter((w) => w.file !== undefined);
    expect(annotations).toHaveLength(4);
    const single = 'services/tiny/Dockerfile.single';
    const multi = 'services/tiny/Dockerfile';
    expect(annotations[0]).toEqual({
      file: single,
      line: '5',
      title: 'single-stage: budget max-increase broken by this instruction',
      message: expect.stringMatching(
        /^single-stage: budget max-increase broken: growth against the base of \+30\d kB is over the limit of 100 kB\. This instruction adds \+30\d kB; without it the budget would hold\.$/,
      ),
    });
    expect(annotations[1]).toEqual({
      file: multi,
      line: '8',
      title: 'multi-stage: budget max-layers broken by this instruction',
      message:
        'multi-stage: budget max-layers broken: 4 layers is over the limit of 3. This instruction adds +200 kB; without it the budget would hold.',
    });
    expect(annotations[2]).toEqual({
      file: single,
      line: '5',
      title: expect.stringMatching(/^single-stage: \+30\d kB from this instruction$/),
      message: expect.stringMatching(
        /^This instruction adds \+30\d kB to the single-stage image \(its layer is 1\.3\d MB, 1\.00 MB in the base; \+\d+\.\d% of the base image's size\): its largest growth against the base\.$/,
      ),
    });
    expect(annotations[3]).toEqual({
      file: multi,
      line: '8',
      title: 'multi-stage: +200 kB from this instruction',
      message: expect.stringMatching(
        /^This instruction adds \+200 kB to the multi-stage image \(a new layer of 200 kB; \+\d+\.\d% of the base image's size\): its largest growth against the base\.$/,
      ),
    });
    // The build arg's value: masked for the runner (::add-mask::), and nowhere else in the log.
    expect(
      run.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain(SECRET);
    // max-size breaks without the RUN too: no annotation, only the usual warning (fail-on-budget is off).
    expect(
      warnings(run.stdout)
        .filter((w) => w.message.includes('max-size'))
        .map((w) => w.file),
    ).toEqual([undefined]);

    // The chart, in the comment and in the job summary.
    const [comment] = github.server.comments(OWNER, REPO, PR);
    const chart = /```mermaid\n[\s\S]*?\n```/.exec(comment.body)?.[0];
    expect(chart).toContain('  x-axis ["single-stage base", "single-stage This PR", "multi-stage base", "multi-stage This PR"]');
    expect(run.summary).toContain(chart);
  });
});

/** The `::warning …::…` commands of a log, properties and message unescaped as the runner reads them. */
function warnings(stdout: string): { file?: string; line?: string; title?: string; message: string }[] {
  const unescape = (s: string) =>
    s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
  return stdout
    .split('\n')
    .map((line) => /^::warning( [^:]*)?::(.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => {
      const props = Object.fromEntries(
        (m[1] ?? '')
          .trim()
          .split(',')
          .filter(Boolean)
          .map((p) => [p.slice(0, p.indexOf('=')), unescape(p.slice(p.indexOf('=') + 1))]),
      );
      return { ...props, message: unescape(m[2]) };
    });
}
