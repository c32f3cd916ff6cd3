// Building real images with the real engine: what the tool measures must be what Docker reports.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/docker/engine.js';
import { EnvironmentError, InputError } from '../../src/errors.js';
import { RUN_LABEL } from '../../src/measure/measure.js';
import { createReport } from '../../src/pipeline.js';
import type { BuiltResult, Report } from '../../src/report/types.js';
import { resolveSettings, type RawSettings } from '../../src/settings/schema.js';
import { allImageIds, dockerInspect, removeImage, toolImageTags } from '../support/docker-cli.js';
import { dockerInfo, onContainerdStore, savedLayers, unpackedBytesOf } from '../support/engine-facts.js';
import { memoryLogger, repoFromFixture } from '../support/workspace.js';

const TINY_VARIANTS = { 'single-stage': 'Dockerfile.single', 'multi-stage': { dockerfile: 'Dockerfile', target: 'runtime' } };
const kept: string[] = [];
let imagesBefore: string[] = [];

beforeAll(() => {
  imagesBefore = allImageIds();
});
// Tests that keep images (keep-images) leave them to us: remove exactly what appeared during this file.
afterAll(() => {
  kept.forEach(removeImage);
  for (const id of allImageIds()
    .filter((i) => !imagesBefore.includes(i))
    .reverse())
    removeImage(id);
});

async function run(dir: string, raw: RawSettings, runId: string): Promise<{ report: Report; log: ReturnType<typeof memoryLogger> }> {
  const log = memoryLogger();
  const report = await createReport({
    settings: resolveSettings(raw),
    workingDirectory: dir,
    engine: new DockerEngine(),
    baseline: { source: 'none' },
    head: {},
    runId,
    log,
  });
  return { report, log };
}

const builtHead = (report: Report, name: string) => {
  const head = report.variants.find((v) => v.name === name)!.head;
  expect(head.status).toBe('built');
  return head as BuiltResult;
};

describe.each(['buildkit', 'legacy'] as const)('with the %s builder', (builder) => {
  it('measures size and layers exactly as the engine reports them, and the multi-stage image is smaller', async () => {
    const { dir } = repoFromFixture('tiny-app');
    const runId = `measure-${builder}`;
    const { report } = await run(dir, { variants: TINY_VARIANTS, builder, 'keep-images': true }, runId);
    const tags = { single: `image-size-report/single-stage:head-${runId}`, multi: `image-size-report/multi-stage:head-${runId}` };
    kept.push(tags.single, tags.multi);

    const single = builtHead(report, 'single-stage');
    const multi = builtHead(report, 'multi-stage');
    const engineSingle = dockerInspect(tags.single);
    const engineMulti = dockerInspect(tags.multi);
    expect(single.imageId).toBe(engineSingle.Id);
    // unpacked: what the engine's witness says (its Size on a graph driver, GNU tar's listing on the containerd store)
    expect(single.sizeBytes).toBe(unpackedBytesOf(tags.single));
    expect(single.layers).toBe(engineSingle.RootFS.Layers.length);
    expect(multi.sizeBytes).toBe(unpackedBytesOf(tags.multi));
    expect(multi.layers).toBe(engineMulti.RootFS.Layers.length);
    // the engine's own Size, whatever it means on this store
    expect([single.engineSizeBytes, multi.engineSizeBytes]).toEqual([engineSingle.Size, engineMulti.Size]);
    if (onContainerdStore()) {
      // there the layers' compressed sizes are the blobs as stored, exactly, and Size adds the manifest and config
      for (const [result, tag] of [
        [single, tags.single],
        [multi, tags.multi],
      ] as const) {
        expect(result.compressedBytes).toBe(savedLayers(tag).reduce((sum, layer) => sum + layer.blobBytes, 0));
        expect(result.engineSizeBytes! - result.compressedBytes!).toBeGreaterThan(0);
        expect(result.engineSizeBytes! - result.compressedBytes!).toBeLessThan(10_000);
      }
    }

    const busybox = dockerInspect('busybox:latest');
    const busyboxBytes = unpackedBytesOf('busybox:latest');
    // busybox + WORKDIR + RUN + COPY; busybox + COPY + COPY
    expect(single.layers).toBe(busybox.RootFS.Layers.length + 3);
    expect(multi.layers).toBe(busybox.RootFS.Layers.length + 2);
    // The single-stage image carries the 1,000,000-byte toolchain; the multi-stage one does not.
    expect(single.sizeBytes - busyboxBytes).toBeGreaterThanOrEqual(1_000_000);
    expect(multi.sizeBytes - busyboxBytes).toBeLessThan(10_000);
    expect(single.buildMs).toBeGreaterThan(0);

    const variants = Object.fromEntries(report.variants.map((v) => [v.name, v.stages]));
    expect(variants).toEqual({ 'single-stage': 1, 'multi-stage': 2 });
    expect(report.comparisons).toEqual([
      {
        variant: 'multi-stage',
        reference: 'single-stage',
        ratio: multi.sizeBytes / single.sizeBytes,
        savedBytes: single.sizeBytes - multi.sizeBytes,
      },
    ]);
    expect(report.engine.storage).toBe(dockerInfo().Driver);
    expect(report.engine.containerdStore).toBe(onContainerdStore());
    expect(report.status).toBe('pass');
  });
});

describe('one variant failing', () => {
  it('reports the failing step and output, still measures the others, fails the run and keeps the build arg out', async () => {
    const { dir } = repoFromFixture('tiny-app');
    writeFileSync(
      path.join(dir, 'Dockerfile.broken'),
      'FROM busybox:latest\nARG TOKEN\nRUN echo "token is $TOKEN" && echo compiling && exit 7\n',
    );
    const { report, log } = await run(
      dir,
      { variants: { ...TINY_VARIANTS, broken: 'Dockerfile.broken' }, 'build-args': 'TOKEN=hunter2 with spaces' },
      'failing',
    );
    const broken = report.variants.find((v) => v.name === 'broken')!.head;
    expect(broken.status).toBe('failed');
    if (broken.status !== 'failed') return;
    expect(broken.failedStep).toMatch(/^\[2\/2\] RUN echo "token is \*\*\*" && echo compiling && exit 7$/);
    expect(broken.error).toMatch(/exit code: 7/);
    expect(broken.log).toEqual(['token is ***', 'compiling']);
    expect(builtHead(report, 'single-stage').sizeBytes).toBeGreaterThan(1_000_000);
    expect(builtHead(report, 'multi-stage').layers).toBeGreaterThan(0);
    expect(report.status).toBe('fail');
    expect(JSON.stringify(report)).not.toContain('hunter2');
    expect(log.lines.join('\n')).not.toContain('hunter2');
    expect(log.warnings).toEqual([expect.stringMatching(/^broken \(head\) failed to build: .*exit code: 7/)]);
  });
});

describe.each(['buildkit', 'legacy'] as const)('clean-up with the %s builder', (builder) => {
  it('removes every image it built, earlier stages included, and leaves images it did not build alone', async () => {
    const { dir } = repoFromFixture('tiny-app');
    const busybox = dockerInspect('busybox:latest').Id;
    const before = allImageIds();
    const { report } = await run(dir, { variants: TINY_VARIANTS, builder, 'no-cache': true }, `cleanup-${builder}`);
    expect(report.status).toBe('pass');
    expect(toolImageTags().filter((t) => t.endsWith(`-cleanup-${builder}`))).toEqual([]);
    expect(allImageIds()).toEqual(before);
    expect(dockerInspect('busybox:latest').Id).toBe(busybox);
  });
});

describe('the legacy build cache', () => {
  const env = { ...process.env, DOCKER_BUILDKIT: '0' };
  const labelled = (runId: string) =>
    execFileSync('docker', ['images', '-a', '-q', '--filter', `label=${RUN_LABEL}=${runId}`], { encoding: 'utf8' }).trim();

  it('never removes an image it did not build: an untagged image docker build made of the same steps stays', async () => {
    const { dir } = repoFromFixture('tiny-app');
    writeFileSync(path.join(dir, 'Dockerfile.mine'), `FROM busybox:latest\nRUN echo ${randomUUID()} > /one\nRUN echo two > /two\n`);
    // the user's own build, left untagged (docker build without -t): every step of it is the tool's cache
    const mine = execFileSync('docker', ['build', '-q', '-f', path.join(dir, 'Dockerfile.mine'), dir], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const before = allImageIds();
    const { report } = await run(dir, { variants: { mine: 'Dockerfile.mine' }, builder: 'legacy' }, 'not-mine');
    expect(builtHead(report, 'mine')).toMatchObject({ steps: 2, cachedSteps: 2 });
    expect(dockerInspect(mine).Id).toBe(mine);
    expect(allImageIds()).toEqual(before); // its own image (the label on top of the user's) is gone, nothing else
  });

  it('keeps the images its steps committed, as docker build does, so that the next run builds from the cache', async () => {
    const { dir } = repoFromFixture('tiny-app');
    writeFileSync(path.join(dir, 'Dockerfile.cached'), `FROM busybox:latest\nRUN echo ${randomUUID()} > /one\nRUN echo two > /two\n`);
    const variants = { cached: 'Dockerfile.cached' };
    const before = allImageIds();
    const cold = await run(dir, { variants, builder: 'legacy' }, 'cache-cold');
    expect(builtHead(cold.report, 'cached')).toMatchObject({ steps: 2, cachedSteps: 0 });
    const cache = allImageIds().filter((id) => !before.includes(id));
    expect(cache).toHaveLength(2); // one image per step; the image the run tagged and labelled is gone
    expect(toolImageTags().filter((t) => t.endsWith('-cache-cold'))).toEqual([]);
    expect(labelled('cache-cold')).toBe('');

    const warm = await run(dir, { variants, builder: 'legacy' }, 'cache-warm');
    expect(builtHead(warm.report, 'cached')).toMatchObject({ steps: 2, cachedSteps: 2 });
    // with no-cache, what its steps commit serves no later build: it goes
    const withCache = allImageIds();
    const uncached = await run(dir, { variants, builder: 'legacy', 'no-cache': true }, 'cache-none');
    expect(builtHead(uncached.report, 'cached')).toMatchObject({ steps: 2, cachedSteps: 0 });
    expect(allImageIds()).toEqual(withCache);
  });
});

describe('a build that hangs', () => {
  it('is stopped at the timeout and reported as failed; the other variants are still measured', async () => {
    const { dir } = repoFromFixture('tiny-app');
    writeFileSync(path.join(dir, 'Dockerfile.slow'), 'FROM busybox:latest\nRUN sleep 60\n');
    const { report } = await run(
      dir,
      { variants: { slow: 'Dockerfile.slow', 'multi-stage': { dockerfile: 'Dockerfile', target: 'runtime' } }, timeout: '3s' },
      'timeout',
    );
    const slow = report.variants.find((v) => v.name === 'slow')!.head;
    expect(slow).toMatchObject({ status: 'failed', error: 'the build did not finish within the timeout of 3s' });
    expect(builtHead(report, 'multi-stage').layers).toBeGreaterThan(0);
    expect(report.status).toBe('fail');
    expect(toolImageTags().filter((t) => t.endsWith('-timeout'))).toEqual([]);
  });
});

describe('a failed legacy build', () => {
  it('leaves none of the intermediate images it committed behind', async () => {
    const { dir } = repoFromFixture('tiny-app');
    writeFileSync(path.join(dir, 'Dockerfile.broken'), 'FROM busybox:latest\nRUN echo one > /one\nRUN echo two > /two\nRUN exit 1\n');
    const before = allImageIds();
    const { report } = await run(dir, { variants: { broken: 'Dockerfile.broken' }, builder: 'legacy', 'no-cache': true }, 'legacy-fail');
    expect(report.variants[0].head).toMatchObject({ status: 'failed', failedStep: 'Step 4/5 : RUN exit 1' });
    expect(allImageIds()).toEqual(before);
  });
});

describe('bad input and a missing engine', () => {
  it('refuses an unknown target and a missing Dockerfile before building anything', async () => {
    const { dir } = repoFromFixture('tiny-app');
    await expect(run(dir, { variants: { web: { dockerfile: 'Dockerfile', target: 'runtme' } } }, 'x')).rejects.toThrow(
      new InputError('variants.web: target "runtme" is not a stage of Dockerfile (stages: builder, runtime).'),
    );
    await expect(run(dir, { variants: { web: 'Dockerfile.missing', ok: 'Dockerfile' } }, 'x')).rejects.toThrow(
      /^variants\.web: Dockerfile "Dockerfile\.missing" does not exist \(looked for .*Dockerfile\.missing\)\.$/,
    );
  });

  it('says plainly when the engine is not there', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///tmp/isr-no-such-docker.sock';
    try {
      const error = await new DockerEngine().connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EnvironmentError);
      expect((error as Error).message).toBe(
        'The Docker engine is not reachable at unix:///tmp/isr-no-such-docker.sock (DOCKER_HOST): there is no socket at /tmp/isr-no-such-docker.sock. Start the engine there, or fix or unset DOCKER_HOST.',
      );
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('gives up on an engine that accepts the connection but never answers', async () => {
    const silent = createServer(() => {}); // accepts, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${port}`;
    try {
      await expect(new DockerEngine().connect()).rejects.toThrow(
        /not reachable at tcp:\/\/127\.0\.0\.1:\d+ \(DOCKER_HOST\): no answer within 5 s\. Start the engine there, or fix or unset DOCKER_HOST\./,
      );
    } finally {
      process.env.DOCKER_HOST = saved;
      if (saved === undefined) delete process.env.DOCKER_HOST;
      silent.close();
    }
  });
});
