// Docker faults, each made for real on an engine of the test's own: the engine killed mid-build, an engine that
// stops answering, a build that hangs past its timeout, the engine's disk filling up, and an engine that accepts
// connections but never answers. In every case the run ends promptly with a clear message per variant, the other
// variants are still reported, and nothing the run made is left in the engine or in git.
import { randomInt } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/docker/engine.js';
import { EnvironmentError } from '../../src/errors.js';
import { createReport, type BaselinePlan } from '../../src/pipeline.js';
import type { Report, SideResult } from '../../src/report/types.js';
import { resolveSettings, type RawSettings } from '../../src/settings/schema.js';
import { startPrivateEngine, type PrivateEngine } from '../support/private-engine.js';
import { smallDisk } from '../support/small-disk.js';
import { commitAll, git, memoryLogger, repoFromFixture, tempDir } from '../support/workspace.js';

type FailedResult = Extract<SideResult, { status: 'failed' }>;

const RUN_LABEL = 'io.github.image-size-report.run';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A `sleep` whose argument is unique to this call, so its process can be found in the engine's process tree. */
function uniqueSleep(): string {
  return `sleep ${randomInt(700_000, 999_999)}`;
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); await sleep(100)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

function engineFor(target: PrivateEngine | string, callTimeoutMs?: number): DockerEngine {
  const socketPath = typeof target === 'string' ? target : target.host.replace(/^unix:\/\//, '');
  return new DockerEngine(new Docker({ socketPath }), { callTimeoutMs });
}

async function run(
  engine: DockerEngine,
  dir: string,
  raw: RawSettings,
  runId: string,
  baseline: BaselinePlan = { source: 'none' },
): Promise<{ report: Report; log: ReturnType<typeof memoryLogger> }> {
  const log = memoryLogger();
  const report = await createReport({
    settings: resolveSettings(raw),
    workingDirectory: dir,
    engine,
    baseline,
    head: {},
    runId,
    log,
    tempDirectory: tempDir('faults-tmp'),
  });
  return { report, log };
}

const result = (report: Report, name: string, side: 'head' | 'base' = 'head'): SideResult => {
  const variant = report.variants.find((v) => v.name === name)!;
  return side === 'head' ? variant.head : variant.base!;
};
const failed = (report: Report, name: string, side: 'head' | 'base' = 'head'): FailedResult => {
  const r = result(report, name, side);
  expect(r.status, `${name} (${side})`).toBe('failed');
  return r as FailedResult;
};

/** What a run may leave in an engine: containers, images other than the base images, our tags and label. */
function leftovers(engine: PrivateEngine, runId: string) {
  return {
    containers: engine.docker('ps', '-a', '-q').trim(),
    tags: engine
      .docker('images', '--format', '{{.Repository}}:{{.Tag}}')
      .split('\n')
      .filter((t) => t.startsWith('image-size-report/')),
    labelled: engine.docker('images', '-a', '-q', '--filter', `label=${RUN_LABEL}=${runId}`).trim(),
    images: engine.docker('images', '-a', '-q', '--no-trunc').split('\n').filter(Boolean).sort(),
  };
}

const STACK_LINE = /^\s+at .+\(.*:\d+:\d+\)$|^\s+at \S+:\d+:\d+$/m;

function expectNoStackTraces(report: Report, log: ReturnType<typeof memoryLogger>): void {
  const texts = [...log.warnings, ...log.lines, JSON.stringify(report, null, 2)];
  for (const text of texts) expect(text).not.toMatch(STACK_LINE);
}

/** Worktrees of the repository besides its own checkout. */
function extraWorktrees(dir: string): string[] {
  return git(dir, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length))
    .filter((tree) => path.resolve(tree) !== path.resolve(dir));
}

describe('the engine dies in the middle of a build', () => {
  let engine: PrivateEngine | undefined;
  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
  });

  it.each(['buildkit', 'legacy'] as const)(
    'with %s: that variant says the engine went away, every other variant is reported as not built, and the run ends',
    async (builder) => {
      engine = await startPrivateEngine();
      const step = uniqueSleep();
      const { dir } = repoFromFixture('tiny-app');
      writeFileSync(path.join(dir, 'Dockerfile.slow'), `FROM busybox:latest\nRUN ${step}\n`);
      const sha = commitAll(dir, 'a slow variant');
      const variants = { first: { dockerfile: 'Dockerfile', target: 'runtime' }, slow: 'Dockerfile.slow', after: 'Dockerfile.single' };
      const docker = engineFor(engine);
      const pending = run(docker, dir, { variants, builder }, `kill-${builder}`, { source: 'rebuild', commit: sha });
      const crashed = pending.catch(() => undefined);
      await Promise.race([waitFor(() => engine!.processes(step).length > 0, 60_000, 'the RUN step to start'), crashed]);
      engine.kill();
      const { report, log } = await pending; // resolves: the report is not lost to the crash

      const endpoint = engine.host;
      expect(result(report, 'first').status).toBe('built');
      // The engine is asked again right after the build's connection broke: by then it refuses connections, or
      // resets the one it had just accepted while dying.
      expect(failed(report, 'slow').error).toMatch(
        new RegExp(
          `^the Docker engine at ${endpoint} went away during the build \\(it no longer answers: (connection refused|the connection was reset)\\)$`,
        ),
      );
      const notReachable = `the build could not be started: the Docker engine is not reachable at ${endpoint} (connection refused)`;
      expect(failed(report, 'after').error).toBe(notReachable);
      // The base (the same commit) is still attempted, in a worktree, and each variant says why it failed.
      for (const name of ['first', 'slow', 'after']) expect(failed(report, name, 'base').error).toBe(notReachable);
      expect(report.status).toBe('fail');
      // Clean-up could not reach the engine: one warning that says so and how to find what is left, after the
      // variants' own warnings; the report above is intact.
      const cleanup = log.warnings.filter((w) => w.startsWith('Nothing more could be removed'));
      expect(cleanup).toEqual([
        `Nothing more could be removed from the Docker engine: the Docker engine is not reachable at ${endpoint} (connection refused). ` +
          `What this run left is labelled ${RUN_LABEL}=kill-${builder} (docker image ls --filter label=${RUN_LABEL}=kill-${builder}).`,
      ]);
      expect(log.warnings.filter((w) => w.includes('failed to build'))).toHaveLength(5);
      expectNoStackTraces(report, log);
      expect(extraWorktrees(dir)).toEqual([]);
      expect(docker.openConnections).toBe(0);
    },
  );
});

describe('an engine that stops answering in the middle of a build', () => {
  let engine: PrivateEngine | undefined;
  afterEach(async () => {
    if (engine) process.kill(engine.pid, 'SIGCONT');
    await engine?.stop();
    engine = undefined;
  });

  it('times the build out, fails the other variants at once, and closes every connection so the process can exit', async () => {
    engine = await startPrivateEngine();
    const step = uniqueSleep();
    const { dir } = repoFromFixture('tiny-app');
    writeFileSync(path.join(dir, 'Dockerfile.slow'), `FROM busybox:latest\nRUN ${step}\n`);
    const docker = engineFor(engine, 3000);
    const pending = run(docker, dir, { variants: { slow: 'Dockerfile.slow', after: 'Dockerfile.single' }, timeout: '10s' }, 'frozen');
    await waitFor(() => engine!.processes(step).length > 0, 60_000, 'the RUN step to start');
    process.kill(engine.pid, 'SIGSTOP'); // dockerd no longer answers anything; its sockets stay open
    const { report, log } = await pending;

    const endpoint = engine.host;
    expect(failed(report, 'slow').error).toBe(
      `the build did not finish within the timeout of 10s, and the Docker engine at ${endpoint} stopped answering (no answer within 5 s)`,
    );
    expect(failed(report, 'after').error).toBe(
      `the build could not be started: the Docker engine at ${endpoint} stopped answering (no answer within 5 s)`,
    );
    expect(log.warnings.at(-1)).toBe(
      `Nothing more could be removed from the Docker engine: the Docker engine at ${endpoint} stopped answering (no answer within 5 s). ` +
        `What this run left is labelled ${RUN_LABEL}=frozen (docker image ls --filter label=${RUN_LABEL}=frozen).`,
    );
    expectNoStackTraces(report, log);
    // The BuildKit session and the build's connection are closed: nothing keeps a process alive on a dead engine.
    expect(docker.openConnections).toBe(0);
  });
});

describe('a build that hangs past its timeout', () => {
  let engine: PrivateEngine;
  beforeAll(async () => {
    engine = await startPrivateEngine();
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it.each(['buildkit', 'legacy'] as const)(
    'with %s: is cancelled inside the engine, and leaves no process, container, image or tag',
    async (builder) => {
      const step = uniqueSleep();
      const { dir } = repoFromFixture('tiny-app');
      writeFileSync(path.join(dir, 'Dockerfile.slow'), `FROM busybox:latest\nRUN echo started && ${step}\n`);
      const before = leftovers(engine, 'none');
      let seen = false;
      const watch = setInterval(() => {
        seen ||= engine.processes(step).length > 0;
      }, 100);
      const runId = `hang-${builder}`;
      const { report, log } = await run(
        engineFor(engine),
        dir,
        // The other variant first: a legacy engine stops a cancelled step with its usual 10 s grace, and
        // builds wait for that.
        {
          variants: { 'multi-stage': { dockerfile: 'Dockerfile', target: 'runtime' }, slow: 'Dockerfile.slow' },
          timeout: '10s',
          builder,
          'no-cache': true,
        },
        runId,
      ).finally(() => clearInterval(watch));

      expect(seen).toBe(true); // the step really ran in the engine
      expect(failed(report, 'slow').error).toBe('the build did not finish within the timeout of 10s');
      expect(result(report, 'multi-stage').status).toBe('built');
      expectNoStackTraces(report, log);
      // The RUN step's process is gone from the engine's process tree (the engine stops it asynchronously: the
      // legacy builder sends SIGTERM, which a shell's `sleep` as PID 1 ignores, and SIGKILL 10 s later).
      await waitFor(() => engine.processes(step).length === 0, 30_000, `the engine to stop "${step}"`);
      expect(leftovers(engine, runId)).toEqual({ ...before, labelled: '' });
    },
  );

  it("removes at the end any container or image still carrying this run's label, and nothing of another run", async () => {
    // Left behind as a build that finished in the engine after we gave up on it would leave them.
    const make = (run: string) => {
      const container = engine.docker('create', '--label', `${RUN_LABEL}=${run}`, 'busybox:latest', 'true').trim();
      const image = engine.docker('commit', '--change', `LABEL ${RUN_LABEL}=${run}`, container).trim();
      return { container, image };
    };
    const ours = make('net');
    const theirs = make('net-other');
    const { dir } = repoFromFixture('tiny-app');
    const { log } = await run(engineFor(engine), dir, { variants: { 'single-stage': 'Dockerfile.single' } }, 'net');
    expect(log.warnings).toEqual([]);
    const containers = engine.docker('ps', '-a', '-q', '--no-trunc').split('\n');
    const images = engine.docker('images', '-a', '-q', '--no-trunc').split('\n');
    expect(containers).not.toContain(ours.container);
    expect(images).not.toContain(ours.image);
    expect(containers).toContain(theirs.container);
    expect(images).toContain(theirs.image);
    engine.docker('rm', theirs.container);
    engine.docker('rmi', theirs.image);
  });

  it('with buildkit: is cancelled inside the engine even when closing our connection does not reach it', async () => {
    // A proxy in front of the engine that keeps its side of every connection open when ours closes, as some
    // socket proxies do: then only the explicit cancel request (POST /build/cancel) stops the build.
    const upstreams: Socket[] = [];
    let buildKeptOpen = false; // the build's connection: closed by us, kept open to the engine by the proxy
    const proxyPath = path.join(tempDir('proxy'), 'docker.sock');
    const proxy: Server = createServer((client) => {
      const upstream = connect(engine.host.replace(/^unix:\/\//, ''));
      upstreams.push(upstream);
      let isBuild: boolean | undefined;
      client.on('data', (data) => {
        isBuild ??= data.toString('latin1').startsWith('POST /build?');
        upstream.write(data);
      });
      upstream.on('data', (data) => {
        if (!client.destroyed) client.write(data);
      });
      client.on('close', () => {
        if (isBuild && !upstream.destroyed) buildKeptOpen = true;
      });
      client.on('error', () => {});
      upstream.on('error', () => {});
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(proxyPath, resolve));
    try {
      const step = uniqueSleep();
      const { dir } = repoFromFixture('tiny-app');
      writeFileSync(path.join(dir, 'Dockerfile.slow'), `FROM busybox:latest\nRUN ${step}\n`);
      let seen = false;
      const watch = setInterval(() => {
        seen ||= engine.processes(step).length > 0;
      }, 100);
      const { report } = await run(
        engineFor(proxyPath),
        dir,
        { variants: { slow: 'Dockerfile.slow' }, timeout: '10s', 'no-cache': true },
        'hang-proxy',
      ).finally(() => clearInterval(watch));
      expect(seen).toBe(true);
      expect(failed(report, 'slow').error).toBe('the build did not finish within the timeout of 10s');
      await waitFor(() => engine.processes(step).length === 0, 15_000, `the engine to stop "${step}"`);
      expect(buildKeptOpen).toBe(true); // our closing really did not reach the engine
      expect(leftovers(engine, 'hang-proxy').labelled).toBe('');
    } finally {
      upstreams.forEach((s) => s.destroy());
      proxy.close();
    }
  });
});

describe("the engine's disk fills up", () => {
  let engine: PrivateEngine;
  beforeAll(async () => {
    engine = await startPrivateEngine({ size: '160m' });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it.each(['buildkit', 'legacy'] as const)(
    'with %s: the variant fails saying the disk is full, the others are measured, space is given back and the engine still builds',
    async (builder) => {
      const { dir } = repoFromFixture('tiny-app');
      writeFileSync(path.join(dir, 'Dockerfile.huge'), 'FROM busybox:latest\nRUN dd if=/dev/zero of=/fill bs=1M count=400\n');
      const before = leftovers(engine, 'none');
      const freeBefore = engine.freeBytes();
      const runId = `disk-${builder}`;
      const variants = {
        huge: 'Dockerfile.huge',
        'single-stage': 'Dockerfile.single',
        'multi-stage': { dockerfile: 'Dockerfile', target: 'runtime' },
      };
      const { report, log } = await run(engineFor(engine), dir, { variants, builder, 'no-cache': true }, runId);

      const huge = failed(report, 'huge');
      expect(huge.log.join('\n')).toMatch(/No space left on device/);
      expect(huge.error).toMatch(/\. The Docker engine ran out of disk space \("no space left on device"\): the disk that holds its data/);
      expect(huge.error).toMatch(/docker system df/);
      expect(result(report, 'single-stage').status).toBe('built');
      expect(result(report, 'multi-stage').status).toBe('built');
      expectNoStackTraces(report, log);
      expect(leftovers(engine, runId)).toEqual({ ...before, labelled: '' });
      // The space the failed step took is given back (build cache of the small variants may keep a few MB).
      expect(engine.freeBytes()).toBeGreaterThan(freeBefore - 10_000_000);

      const again = await run(engineFor(engine), dir, { variants: { 'single-stage': 'Dockerfile.single' }, builder }, `${runId}-again`);
      expect(result(again.report, 'single-stage').status).toBe('built');
    },
  );
});

describe('the disk fills up while the base is checked out', () => {
  it('reports this change without a comparison, and leaves no worktree or folder behind', async () => {
    const disk = smallDisk('1m');
    try {
      const { dir } = repoFromFixture('tiny-app');
      writeFileSync(path.join(dir, 'data.bin'), Buffer.alloc(3_000_000, 1)); // does not fit on the 1 MB disk
      const sha = commitAll(dir, 'data');
      const log = memoryLogger();
      const report = await createReport({
        settings: resolveSettings({ variants: { 'single-stage': 'Dockerfile.single' } }),
        workingDirectory: dir,
        engine: new DockerEngine(),
        baseline: { source: 'rebuild', commit: sha },
        head: {},
        runId: 'base-disk',
        log,
        tempDirectory: disk.dir,
      });
      expect(result(report, 'single-stage').status).toBe('built');
      expect(report.base).toMatchObject({
        source: 'rebuild',
        error: expect.stringMatching(/^git worktree failed: .*unable to write file data\.bin/),
      });
      expect(log.warnings).toEqual([
        expect.stringMatching(/^The base \(\w+\) could not be checked out, so there is no comparison: git worktree failed/),
      ]);
      expect(extraWorktrees(dir)).toEqual([]);
      expect(readdirSync(disk.dir)).toEqual([]);
    } finally {
      disk.unmount();
    }
  });
});

describe('an engine that cannot be reached', () => {
  it('fails the run within seconds, before any worktree is made, when the socket accepts but never answers', async () => {
    const accepted: Socket[] = [];
    const silentPath = path.join(tempDir('silent'), 'docker.sock');
    const silent = createServer((socket) => accepted.push(socket)); // accepts, says nothing
    await new Promise<void>((resolve) => silent.listen(silentPath, resolve));
    try {
      const { dir, sha } = repoFromFixture('tiny-app');
      const engine = engineFor(silentPath);
      const tmp = tempDir('faults-tmp');
      const error = await createReport({
        settings: resolveSettings({}),
        workingDirectory: dir,
        engine,
        baseline: { source: 'rebuild', commit: sha },
        head: {},
        runId: 'silent',
        log: memoryLogger(),
        tempDirectory: tmp,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EnvironmentError);
      expect((error as Error).message).toBe(
        `The Docker engine is not reachable at unix://${silentPath} (no answer within 5 s). Start Docker (on this project's machines: bash scripts/setup-docker.sh), or set DOCKER_HOST to the engine to use.`,
      );
      expect(accepted.length).toBeGreaterThan(0);
      expect(engine.openConnections).toBe(0);
      expect(extraWorktrees(dir)).toEqual([]);
    } finally {
      accepted.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it('fails at once, naming the socket, when nothing listens there', async () => {
    const missing = path.join(os.tmpdir(), `isr-no-engine-${randomInt(1e9)}.sock`);
    expect(existsSync(missing)).toBe(false);
    await expect(engineFor(missing).connect()).rejects.toThrow(
      `The Docker engine is not reachable at unix://${missing} (no socket there).`,
    );
  });
});

// The CLI as a user runs it, for the one property only a whole process shows: it exits when the engine freezes.
describe('the command-line tool with an engine that freezes', () => {
  let engine: PrivateEngine | undefined;
  afterEach(async () => {
    if (engine) process.kill(engine.pid, 'SIGCONT');
    await engine?.stop();
    engine = undefined;
  });

  it('exits with status 1 and a plain message, without a stack trace', async () => {
    engine = await startPrivateEngine();
    const step = uniqueSleep();
    const { dir } = repoFromFixture('tiny-app');
    writeFileSync(path.join(dir, 'Dockerfile.slow'), `FROM busybox:latest\nRUN ${step}\n`);
    const { spawn } = await import('node:child_process');
    const cli = path.resolve(import.meta.dirname, '../../dist/cli.js');
    const child = spawn(process.execPath, [cli, '--variants', '{slow: Dockerfile.slow, after: Dockerfile.single}', '--timeout', '10s'], {
      cwd: dir,
      env: { ...process.env, DOCKER_HOST: engine.host },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => engine!.processes(step).length > 0, 60_000, 'the RUN step to start');
    process.kill(engine.pid, 'SIGSTOP');
    const code = await Promise.race([exited, sleep(120_000).then(() => 'still running')]);
    if (code === 'still running') child.kill('SIGKILL');
    expect(code).toBe(1);
    expect(stderr).toContain(
      `slow (head) failed to build: the build did not finish within the timeout of 10s, and the Docker engine at ${engine.host} stopped answering`,
    );
    expect(stdout).toContain('Result: FAIL');
    expect(stdout + stderr).not.toMatch(STACK_LINE);
  });
});
