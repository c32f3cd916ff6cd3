// Cancelled runs, as GitHub cancels a job (SIGINT to the step's process, SIGTERM a few seconds later) and as a
// user presses Ctrl-C: the bundled action and the bundled CLI are signalled while the base builds, after this
// change was measured. Each must stop the build in the engine, remove what the run made (images, tags,
// containers, the base's worktree), report what it had measured, and exit within 5 s of the first signal with
// the documented status; a second signal must not start a second clean-up nor cut the first one short.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/types.js';
import { startEngineProxy, type EngineProxy } from '../support/engine-proxy.js';
import { fakeGitHubPerTest } from '../support/github/index.js';
import { processesMatching } from '../support/private-engine.js';
import { startAction, type ActionRun } from '../support/run-action.js';
import { pullRequestPayload } from '../support/webhook-payloads.js';
import { commitAll, git, repoFromFixture, tempDir } from '../support/workspace.js';

const CLI = path.resolve(import.meta.dirname, '../../dist/cli.js');
const RUN_LABEL = 'io.github.image-size-report.run';
const OWNER = 'octo-org';
const REPO = 'shop';
const PR = 7;
/** What the tool promises: the process is gone this soon after the first signal, clean-up included. */
const EXIT_WITHIN_MS = 5000;
const STATUS = { SIGINT: 130, SIGTERM: 143 } as const;
const BUILDERS = ['buildkit', 'legacy'] as const;
/** What the last resort says when a clean-up did not end in time (it then ends the process itself). */
const OVERDUE = 'did not finish in time';
type Signal = keyof typeof STATUS;

const github = fakeGitHubPerTest();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' });
const lines = (text: string) => text.split('\n').filter(Boolean).sort();

/** What a run could leave in the engine: every container and image, and what carries the tool's label or tags. */
function engineState() {
  return {
    containers: lines(docker('ps', '-a', '-q', '--no-trunc')),
    images: lines(docker('images', '-a', '-q', '--no-trunc')),
    labelled: lines(docker('images', '-a', '-q', '--filter', `label=${RUN_LABEL}`)),
    tags: lines(docker('images', '--format', '{{.Repository}}:{{.Tag}}')).filter((t) => t.startsWith('image-size-report/')),
  };
}

/**
 * A repository whose base commit builds slowly (a RUN step that sleeps until it is stopped, with an argument no
 * other process has) and whose pull-request commit builds at once: the head is measured, then the base hangs.
 */
function slowBaseRepo() {
  const step = `sleep ${randomInt(700_000, 999_999)}`;
  const { dir } = repoFromFixture('tiny-app');
  writeFileSync(path.join(dir, 'Dockerfile.app'), `FROM busybox:latest\nRUN echo started && ${step}\n`);
  const baseSha = commitAll(dir, 'a slow base');
  writeFileSync(path.join(dir, 'Dockerfile.app'), 'FROM busybox:latest\nRUN head -c 300000 /dev/zero > /head.bin\n');
  const headSha = commitAll(dir, 'a quick change');
  return { dir, baseSha, headSha, step };
}

function worktrees(dir: string): string[] {
  return git(dir, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((line) => line.startsWith('worktree '));
}

/** Send `signals` (the second one `gapMs` after the first) once `ready()` holds; when the first one went. */
async function signalWhen(
  child: { kill(signal: Signal): boolean; exitCode: number | null },
  ready: () => boolean,
  signals: Signal[],
  gapMs = 1000,
) {
  await waitFor(() => ready() || child.exitCode !== null, 120_000, 'the base build to be running in the engine');
  expect(child.exitCode, 'the process ended before it was signalled').toBeNull();
  const sentAt = performance.now();
  child.kill(signals[0]);
  const more = (async () => {
    for (const signal of signals.slice(1)) {
      await sleep(gapMs);
      if (child.exitCode === null) child.kill(signal);
    }
  })();
  return { sentAt, more };
}

/** The RUN step's processes are gone from the engine (at once, as measured; the engine gets a second's grace). */
async function expectStepStopped(step: string): Promise<void> {
  await waitFor(() => processesMatching(step).length === 0, 1000, `the engine to stop "${step}"`);
}

describe('the bundled action, cancelled while the base builds', () => {
  function actionOptions(repo: ReturnType<typeof slowBaseRepo>, builder: string, env: Record<string, string> = {}) {
    const runId = String(randomInt(1e9));
    return {
      runId,
      label: `${RUN_LABEL}=${runId}-1`,
      options: {
        workspace: repo.dir,
        inputs: { variants: 'app: Dockerfile.app', builder, 'no-cache': 'true' },
        eventName: 'pull_request',
        payload: pullRequestPayload({
          action: 'synchronize',
          owner: OWNER,
          repo: REPO,
          number: PR,
          baseSha: repo.baseSha,
          headSha: repo.headSha,
          baseRef: 'main',
          headRef: 'quick',
        }),
        repository: `${OWNER}/${REPO}`,
        apiUrl: github.server.url,
        token: github.server.token,
        sha: repo.headSha,
        runId,
        env,
      },
    };
  }

  /** What every cancelled action run must show: the status, the summary and outputs, no comment, nothing left. */
  function expectCancelledRun(
    run: ActionRun,
    signal: Signal,
    before: ReturnType<typeof engineState>,
    repo: ReturnType<typeof slowBaseRepo>,
  ) {
    expect(run.code).toBe(STATUS[signal]);
    expect(run.stdout).not.toContain(OVERDUE); // ended by its own clean-up, not by the last resort
    // Said once, at the first signal; the step fails as cancelled, with what it measured.
    expect(run.stdout.match(/Cancelled \(SIG\w+\): stopping the builds/g)).toEqual([`Cancelled (${signal}): stopping the builds`]);
    expect(run.stdout).toMatch(
      new RegExp(
        `^::error::The run was cancelled \\(${signal}\\) before it finished: 1 of 2 images measured; the others are shown as not measured\\. The job summary and the report output have what it measured\\. No comment was posted\\.$`,
        'm',
      ),
    );
    // The job summary: cancelled, with this change's figures and the base as not measured.
    expect(run.summary).toContain(
      `⏹️ The run was cancelled (${signal}) before it finished: 1 of 2 images measured; the others are shown as not measured.`,
    );
    expect(run.summary).toMatch(/^\| ✅ \*\*app\*\* +\| Size +\| +not measured \| +[\d.]+ [kM]B \| +— +\|$/m);
    expect(run.summary).toMatch(/^\| +\| Layers +\| +not measured \| +2 \(1 added, 2 with content\) \| +— +\|$/m);
    expect(run.outputs.status).toBe('cancelled');
    const report = JSON.parse(readFileSync(run.outputs.report, 'utf8')) as Report;
    expect(report.status).toBe('cancelled');
    expect(report.cancelled).toEqual({ signal });
    const [app] = report.variants;
    expect(app.head).toMatchObject({ status: 'built', layers: 2 });
    expect(app.head.status === 'built' && app.head.sizeBytes).toBeGreaterThan(300_000);
    expect(app.head.status === 'built' && app.head.layerDetails?.length).toBe(2);
    expect(app.base).toEqual({ status: 'cancelled', during: 'build' });
    // No comment: a superseded run must not overwrite the newer run's.
    expect(github.server.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    // Nothing of the run is left: not in the engine, not in git, not in the runner's temp folder.
    expect(engineState()).toEqual(before);
    expect(worktrees(repo.dir)).toHaveLength(1);
    expect(readdirSync(run.runnerTemp).filter((name) => name.startsWith('image-size-report-base-'))).toEqual([]);
  }

  describe.each(BUILDERS)('with %s', (builder) => {
    it.each(['SIGINT', 'SIGTERM'] as const)(
      'on %s: stops the build, removes what it made, writes the summary with what it measured, and exits at once',
      async (signal) => {
        const repo = slowBaseRepo();
        const before = engineState();
        const { options } = actionOptions(repo, builder);
        const action = startAction(options);
        const { sentAt } = await signalWhen(action.child, () => processesMatching(repo.step).length > 0, [signal]);
        const run = await action.done;
        expect(performance.now() - sentAt).toBeLessThan(EXIT_WITHIN_MS);
        await expectStepStopped(repo.step);
        expectCancelledRun(run, signal, before, repo);
      },
    );

    it('on SIGINT and SIGTERM 1 s later, with a slow engine: one clean-up, not cut short, and the status of the first signal', async () => {
      const repo = slowBaseRepo();
      const before = engineState();
      // Removing this change's image takes the engine 2 s: the SIGTERM comes in the middle of the clean-up.
      const proxy = await startEngineProxy({ hold: /^DELETE \/images\/image-size-report.*head-/, delayMs: 2000 });
      try {
        const { options } = actionOptions(repo, builder, { DOCKER_HOST: proxy.host });
        const action = startAction(options);
        const { sentAt, more } = await signalWhen(action.child, () => processesMatching(repo.step).length > 0, ['SIGINT', 'SIGTERM']);
        const run = await action.done;
        await more;
        expect(performance.now() - sentAt).toBeLessThan(EXIT_WITHIN_MS);
        expect(proxy.held).toHaveLength(1);
        expect(run.stdout).toContain('SIGTERM as well: the clean-up goes on; the step ends within 5 s of the first signal.');
        await expectStepStopped(repo.step);
        expectCancelledRun(run, 'SIGINT', before, repo);
      } finally {
        await proxy.close();
      }
    });
  });

  // The builder does not matter here: what stalls is the engine removing the image.
  it('gives up on an engine that does not answer the clean-up, names the label that finds what is left, and still exits in time', async () => {
    const repo = slowBaseRepo();
    const before = engineState();
    const proxy = await startEngineProxy({ hold: /^DELETE \/images\//, delayMs: Infinity });
    try {
      const { options, label } = actionOptions(repo, 'buildkit', { DOCKER_HOST: proxy.host });
      const action = startAction(options);
      const { sentAt } = await signalWhen(action.child, () => processesMatching(repo.step).length > 0, ['SIGINT']);
      const run = await action.done;
      expect(performance.now() - sentAt).toBeLessThan(EXIT_WITHIN_MS);
      expect(run.code).toBe(130);
      expect(run.stdout).not.toContain(OVERDUE);
      expect(run.stdout).toContain(
        `::warning::Nothing more could be removed from the Docker engine: the Docker engine at ${proxy.host} had not finished removing an image when the time a cancelled run has for clean-up ran out. ` +
          `What this run left is labelled ${label} (docker image ls --filter label=${label}).`,
      );
      expect(run.summary).toContain('⏹️ The run was cancelled (SIGINT) before it finished: 1 of 2 images measured');
      expect(worktrees(repo.dir)).toHaveLength(1);
      // The label finds exactly what was left: this change's image.
      const left = lines(docker('image', 'ls', '-q', '--no-trunc', '--filter', `label=${label}`));
      expect(left).toHaveLength(1);
      const report = JSON.parse(readFileSync(run.outputs.report, 'utf8')) as Report;
      expect(report.variants[0].head.status === 'built' && report.variants[0].head.imageId).toBe(left[0]);
      docker('rmi', '--no-prune', ...lines(docker('images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `label=${label}`)));
      expect(engineState()).toEqual(before);
    } finally {
      await proxy.close();
    }
  });
});

describe('the bundled action, cancelled before anything was measured', () => {
  // No engine is involved: a socket that accepts connections and never answers, as a hung engine does.
  it('while it waits for the engine to answer: says so in the summary, fails the step, and exits at once', async () => {
    const accepted: Socket[] = [];
    const silentPath = path.join(tempDir('silent'), 'docker.sock');
    const silent = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => silent.listen(silentPath, resolve));
    try {
      const { dir, sha } = repoFromFixture('tiny-app');
      const action = startAction({
        workspace: dir,
        inputs: { variants: 'single-stage: Dockerfile.single' },
        eventName: 'pull_request',
        payload: pullRequestPayload({
          owner: OWNER,
          repo: REPO,
          number: PR,
          baseSha: sha,
          headSha: sha,
          baseRef: 'main',
          headRef: 'quick',
        }),
        repository: `${OWNER}/${REPO}`,
        apiUrl: github.server.url,
        token: github.server.token,
        sha,
        env: { DOCKER_HOST: `unix://${silentPath}` },
      });
      const { sentAt } = await signalWhen(action.child, () => accepted.length > 0, ['SIGTERM']);
      const run = await action.done;
      expect(performance.now() - sentAt).toBeLessThan(EXIT_WITHIN_MS);
      expect(run.code).toBe(143);
      expect(run.stdout).not.toContain(OVERDUE);
      expect(run.stdout).toMatch(/^::error::The run was cancelled \(SIGTERM\) before anything was measured\.$/m);
      expect(run.summary).toBe('## Image size report\n\n⏹️ The run was cancelled (SIGTERM) before anything was measured.\n');
      expect(run.outputs.status).toBe('cancelled');
      expect(github.server.requests).toEqual([]);
      expect(worktrees(dir)).toHaveLength(1);
    } finally {
      accepted.forEach((socket) => socket.destroy());
      silent.close();
    }
  });
});

describe('the bundled CLI, cancelled while the base builds', () => {
  function startCli(repo: ReturnType<typeof slowBaseRepo>, builder: string, env: Record<string, string> = {}) {
    const tmp = tempDir('cli-tmp');
    const child = spawn(
      process.execPath,
      [CLI, '--variants', '{app: Dockerfile.app}', '--base', repo.baseSha, '--builder', builder, '--no-cache'],
      {
        cwd: repo.dir,
        env: { ...process.env, TMPDIR: tmp, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.on('close', (code) => resolve({ code, stdout, stderr })),
    );
    return { child, done, tmp };
  }

  function expectCancelledCli(
    run: { code: number | null; stdout: string; stderr: string },
    signal: Signal,
    tmp: string,
    repo: ReturnType<typeof slowBaseRepo>,
  ) {
    expect(run.code).toBe(STATUS[signal]);
    expect(run.stderr).not.toContain(OVERDUE);
    expect(run.stderr.match(/cancelled \(SIG\w+\): stopping the builds/g)).toEqual([`cancelled (${signal}): stopping the builds`]);
    expect(run.stderr).toContain(
      `image-size-report: The run was cancelled (${signal}) before it finished: 1 of 2 images measured; the others are shown as not measured.\n`,
    );
    // What it measured, in the table: this change's figures, the base as not measured.
    expect(run.stdout).toMatch(/^\| app +\| Size +\| +not measured \| +[\d.]+ [kM]B \| +— +\|$/m);
    expect(run.stdout).toMatch(/^\| +\| Layers +\| +not measured \| +2 \(1 added, 2 with content\) \| +— +\|$/m);
    expect(run.stdout.trimEnd().endsWith('Result: CANCELLED')).toBe(true);
    expect(worktrees(repo.dir)).toHaveLength(1);
    expect(existsSync(tmp) && readdirSync(tmp).filter((name) => name.startsWith('image-size-report-base-'))).toEqual([]);
  }

  it('documents the exit statuses of a cancelled run in its help', () => {
    const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('130 cancelled by Ctrl-C (SIGINT), 143 by SIGTERM');
  });

  // The builder does not matter here: what is stopped is the image save that the layer reading streams from.
  it('on SIGINT while it reads the layers of an image: stops the save, and reports that image as not measured', async () => {
    const { dir } = repoFromFixture('tiny-app');
    writeFileSync(
      path.join(dir, 'Dockerfile.big'),
      `FROM busybox:latest\nRUN head -c 60000000 /dev/urandom > /big.bin # ${randomInt(1e9)}\n`,
    );
    const before = engineState();
    const proxy = await startEngineProxy({ hold: /^GET \/images\/[^ ]+\/get/, delayMs: 0 }); // only to see the save start
    try {
      const json = path.join(tempDir('cli-json'), 'report.json');
      const child = spawn(
        process.execPath,
        [CLI, '--variants', '{big: Dockerfile.big}', '--no-cache', '--cache-dir', 'none', '--json', json],
        {
          cwd: dir,
          env: { ...process.env, DOCKER_HOST: proxy.host },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const done = new Promise<number | null>((resolve) => child.on('close', resolve));
      const { sentAt } = await signalWhen(child, () => proxy.held.length > 0, ['SIGINT']);
      const code = await done;
      expect(performance.now() - sentAt).toBeLessThan(EXIT_WITHIN_MS);
      expect(code).toBe(130);
      expect(stderr).not.toContain(OVERDUE);
      expect(stderr).toContain(
        'image-size-report: The run was cancelled (SIGINT) before it finished: 0 of 1 image measured; the others are shown as not measured.\n',
      );
      expect(stderr).not.toContain('warning:'); // the save stopped on purpose: not a failure to read the layers
      expect(stdout).toMatch(/^\| big \(NOT MEASURED\) \| Size +\| not measured \|$/m);
      const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
      expect(report.variants[0].head).toEqual({ status: 'cancelled', during: 'layers' });
      expect(engineState()).toEqual(before);
    } finally {
      await proxy.close();
    }
  });

  describe.each(BUILDERS)('with %s', (builder) => {
    it.each(['SIGINT', 'SIGTERM'] as const)(
      'on %s (Ctrl-C, or a supervisor): prints what it measured, removes what it made, and exits with 128 + the signal',
      async (signal) => {
        const repo = slowBaseRepo();
        const before = engineState();
        const cli = startCli(repo, builder);
        const { sentAt } = await signalWhen(cli.child, () => processesMatching(repo.step).length > 0, [signal]);
        const run = await cli.done;
        expect(performance.now() - sentAt).toBeLessThan(EXIT_WITHIN_MS);
        await expectStepStopped(repo.step);
        expectCancelledCli(run, signal, cli.tmp, repo);
        expect(engineState()).toEqual(before);
      },
    );

    it('on SIGINT and SIGTERM 1 s later, with a slow engine: one clean-up, not cut short, and exit status 130', async () => {
      const repo = slowBaseRepo();
      const before = engineState();
      const proxy: EngineProxy = await startEngineProxy({ hold: /^DELETE \/images\/image-size-report.*head-/, delayMs: 2000 });
      try {
        const cli = startCli(repo, builder, { DOCKER_HOST: proxy.host });
        const { sentAt, more } = await signalWhen(cli.child, () => processesMatching(repo.step).length > 0, ['SIGINT', 'SIGTERM']);
        const run = await cli.done;
        await more;
        expect(performance.now() - sentAt).toBeLessThan(EXIT_WITHIN_MS);
        expect(proxy.held).toHaveLength(1);
        expect(run.stderr).toContain('image-size-report: SIGTERM as well: still cleaning up (done within 5 s of the first signal).\n');
        await expectStepStopped(repo.step);
        expectCancelledCli(run, 'SIGINT', cli.tmp, repo);
        expect(engineState()).toEqual(before);
      } finally {
        await proxy.close();
      }
    });
  });
});
