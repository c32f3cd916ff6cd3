// One row per platform, built by the real engine: linux/amd64 natively and linux/arm64 under QEMU (registered by
// scripts/setup-docker.sh --platforms, as docker/setup-qemu-action does on a runner), each measured from its own
// image; a budget on one platform is judged there only; a platform the engine cannot build fails its row only.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/docker/engine.js';
import { imageTag } from '../../src/measure/measure.js';
import { createReport } from '../../src/pipeline.js';
import type { BuiltResult, Report } from '../../src/report/types.js';
import { resolveSettings, type RawSettings } from '../../src/settings/schema.js';
import { allImageIds, removeImage, toolImageTags } from '../support/docker-cli.js';
import { onContainerdStore, unpackedBytesOf } from '../support/engine-facts.js';
import { fakeGitHubPerTest } from '../support/github/index.js';
import { runAction } from '../support/run-action.js';
import { pullRequestPayload } from '../support/webhook-payloads.js';
import { commitAll, git, memoryLogger, tempDir } from '../support/workspace.js';

/** What the RUN step writes: `uname -m` as the emulated machine reports it, and padding that depends on it. */
const PAD_KIB = { x86_64: 100, aarch64: 300 } as const;
const RUN = `RUN uname -m > /arch && if [ "$(uname -m)" = aarch64 ]; then n=${PAD_KIB.aarch64}; else n=${PAD_KIB.x86_64}; fi && head -c $((n * 1024)) /dev/zero > /pad`;
/** The RUN layer's unpacked bytes for a machine: the padding plus `uname -m`'s line. */
const runLayerBytes = (machine: keyof typeof PAD_KIB) => PAD_KIB[machine] * 1024 + machine.length + 1;

let imagesBefore: string[] = [];
const kept: string[] = [];
beforeAll(() => {
  imagesBefore = allImageIds();
});
afterAll(() => {
  kept.forEach(removeImage);
  for (const id of allImageIds()
    .filter((i) => !imagesBefore.includes(i))
    .reverse())
    removeImage(id);
});

function workspace(files: Record<string, string>): string {
  const dir = tempDir('platforms');
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

async function run(dir: string, raw: RawSettings, runId: string): Promise<Report> {
  const settings = resolveSettings({ 'keep-images': true, ...raw });
  const report = await createReport({
    settings,
    workingDirectory: dir,
    engine: new DockerEngine(),
    baseline: { source: 'none' },
    head: {},
    runId,
    log: memoryLogger(),
  });
  for (const spec of settings.variants) kept.push(imageTag(spec, 'head', runId));
  return report;
}

const row = (report: Report, name: string) => {
  const found = report.variants.find((v) => v.name === name);
  expect(found, `a row named ${name}`).toBeDefined();
  return found!;
};
const built = (report: Report, name: string): BuiltResult => {
  const head = row(report, name).head;
  expect(head.status, JSON.stringify(head)).toBe('built');
  return head as BuiltResult;
};
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

describe('one row per platform (BuildKit)', () => {
  it('builds linux/amd64 and linux/arm64 (RUN under QEMU), each row measured from its own image; a budget on app@linux/arm64 is judged there only; windows/amd64 fails its row only', async () => {
    const dir = workspace({ Dockerfile: `ARG TARGETARCH\nFROM busybox:\${TARGETARCH}\n${RUN}\n` });
    const runId = 'platforms-buildkit';
    const report = await run(
      dir,
      {
        variants: { app: { dockerfile: 'Dockerfile', platforms: ['linux/amd64', 'linux/aarch64', 'windows/amd64'] } },
        budgets: { 'app@linux/arm64': { 'max-size': '1MB' } },
      },
      runId,
    );
    expect(report.variants.map((v) => [v.name, v.variant, v.platform])).toEqual([
      ['app (linux/amd64)', 'app', 'linux/amd64'],
      ['app (linux/arm64)', 'app', 'linux/arm64'],
      ['app (windows/amd64)', 'app', 'windows/amd64'],
    ]);
    const amd = built(report, 'app (linux/amd64)');
    const arm = built(report, 'app (linux/arm64)');
    const tags = {
      amd64: `image-size-report/app-linux-amd64:head-${runId}`,
      arm64: `image-size-report/app-linux-arm64:head-${runId}`,
    };
    // each tag holds its platform's image, whose RUN ran on that machine (QEMU's for arm64)
    expect(docker('image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', tags.amd64)).toBe('linux/amd64');
    expect(docker('image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', tags.arm64)).toBe('linux/arm64');
    expect(docker('run', '--rm', '--network', 'none', '--platform', 'linux/arm64', tags.arm64, 'cat', '/arch')).toBe('aarch64');

    expect(amd.imageId).not.toBe(arm.imageId);
    expect(amd.sizeBytes).toBe(unpackedBytesOf(tags.amd64));
    expect(arm.sizeBytes).toBe(unpackedBytesOf(tags.arm64));
    expect(amd.layerDetails?.at(-1)?.sizeBytes).toBe(runLayerBytes('x86_64'));
    expect(arm.layerDetails?.at(-1)?.sizeBytes).toBe(runLayerBytes('aarch64'));
    // FROM busybox:${TARGETARCH} names each platform's base image: its layer is known as the base's
    expect([amd.baseImageLayers, arm.baseImageLayers]).toEqual([1, 1]);
    expect(arm.layerDetails?.[0]).toMatchObject({
      fromBaseImage: true,
      diffId: docker('image', 'inspect', '--format', '{{index .RootFS.Layers 0}}', 'busybox:arm64'),
    });

    // the budget of one platform: a check of that row, none of the other
    expect(report.budgets.map((c) => [c.variant, c.budget, c.outcome])).toEqual([['app (linux/arm64)', 'max-size', 'fail']]);
    expect(report.budgets[0].actual).toBe(arm.sizeBytes);

    const windows = row(report, 'app (windows/amd64)').head;
    expect(windows.status).toBe('failed');
    expect(windows.status === 'failed' && windows.error).toMatch(
      /runs linux containers: it cannot build windows\/amd64 images\. Remove windows\/amd64 from platforms/,
    );
    expect(report.status).toBe('fail');
  });

  it.runIf(onContainerdStore())(
    'on the containerd store, one base tag holding both platforms: each row starts from its own platform of it',
    async () => {
      const dir = workspace({ Dockerfile: `FROM busybox:multi\n${RUN}\n` });
      const report = await run(dir, { platforms: 'linux/amd64,linux/arm64' }, 'platforms-multi');
      const baseLayer = (platform: string) =>
        JSON.parse(docker('image', 'inspect', '--platform', platform, '--format', '{{json .RootFS.Layers}}', 'busybox:multi'))[0];
      const amd = built(report, 'default (linux/amd64)');
      const arm = built(report, 'default (linux/arm64)');
      expect(baseLayer('linux/amd64')).not.toBe(baseLayer('linux/arm64'));
      expect(amd.layerDetails?.[0].diffId).toBe(baseLayer('linux/amd64'));
      expect(arm.layerDetails?.[0].diffId).toBe(baseLayer('linux/arm64'));
      // the base image is known as such on each platform (inspected for that platform)
      expect([amd.baseImageLayers, arm.baseImageLayers]).toEqual([1, 1]);
      expect(arm.layerDetails?.at(-1)?.sizeBytes).toBe(runLayerBytes('aarch64'));
      expect(amd.layerDetails?.at(-1)?.sizeBytes).toBe(runLayerBytes('x86_64'));
    },
  );
});

describe('one row per platform (legacy builder)', () => {
  it('passes the platform to the legacy builder too, with the TARGETARCH it does not set itself: RUN under QEMU for linux/arm64', async () => {
    const dir = workspace({ Dockerfile: `ARG TARGETARCH\nFROM busybox:\${TARGETARCH}\n${RUN}\n` });
    const runId = 'platforms-legacy';
    const report = await run(
      dir,
      { builder: 'legacy', variants: { app: { dockerfile: 'Dockerfile', platforms: 'linux/amd64,linux/arm64' } } },
      runId,
    );
    const arm = built(report, 'app (linux/arm64)');
    const amd = built(report, 'app (linux/amd64)');
    const armTag = `image-size-report/app-linux-arm64:head-${runId}`;
    expect(docker('image', 'inspect', '--format', '{{.Architecture}}', armTag)).toBe('arm64');
    expect(arm.sizeBytes).toBe(unpackedBytesOf(armTag));
    expect(arm.layerDetails?.at(-1)?.sizeBytes).toBe(runLayerBytes('aarch64'));
    expect(amd.layerDetails?.at(-1)?.sizeBytes).toBe(runLayerBytes('x86_64'));
  });
});

describe('the bundled action with a platforms input', () => {
  const github = fakeGitHubPerTest();

  it('comments one row per platform, each against the same platform of the rebuilt base, with like-platform comparisons and a one-platform budget', async () => {
    const dir = workspace({
      'Dockerfile.single': `ARG TARGETARCH\nFROM busybox:\${TARGETARCH}\n${RUN}\n`,
      Dockerfile: `ARG TARGETARCH\nFROM busybox:\${TARGETARCH} AS build\n${RUN}\nFROM scratch AS runtime\nCOPY --from=build /arch /pad /\n`,
    });
    git(dir, 'init', '-q', '-b', 'main');
    const baseSha = commitAll(dir, 'base');
    // this change grows the arm64 image only (by 200,000 bytes, in a RUN under QEMU)
    const single = path.join(dir, 'Dockerfile.single');
    writeFileSync(
      single,
      `ARG TARGETARCH\nFROM busybox:\${TARGETARCH}\n${RUN}\nRUN if [ "$(uname -m)" = aarch64 ]; then head -c 200000 /dev/zero > /grow; fi\n`,
    );
    const headSha = commitAll(dir, 'grow on arm64');
    const result = await runAction({
      workspace: dir,
      inputs: {
        variants: 'single: Dockerfile.single\nmulti: {dockerfile: Dockerfile, target: runtime}\n',
        platforms: 'linux/amd64, linux/arm64',
        budgets: '"single@linux/arm64": {max-increase: 100kB}\nmulti: {max-ratio: {of: single, max: 50%}}\n',
      },
      eventName: 'pull_request',
      payload: pullRequestPayload({
        action: 'opened',
        owner: 'octo-org',
        repo: 'shop',
        number: 7,
        baseSha,
        headSha,
        baseRef: 'main',
        headRef: 'grow',
      }),
      repository: 'octo-org/shop',
      apiUrl: github.server.url,
      token: github.server.token,
      sha: headSha,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1); // the arm64 budget is broken
    const report = JSON.parse(readFileSync(result.outputs.report, 'utf8')) as Report;
    expect(report.variants.map((v) => [v.name, v.platform, v.base?.status, v.change?.sizeBytes])).toEqual([
      ['single (linux/amd64)', 'linux/amd64', 'built', 0],
      ['single (linux/arm64)', 'linux/arm64', 'built', 200_000],
      ['multi (linux/amd64)', 'linux/amd64', 'built', 0],
      ['multi (linux/arm64)', 'linux/arm64', 'built', 0],
    ]);
    expect(report.comparisons.map((c) => [c.variant, c.reference])).toEqual([
      ['multi (linux/amd64)', 'single (linux/amd64)'],
      ['multi (linux/arm64)', 'single (linux/arm64)'],
    ]);
    expect(report.budgets.map((c) => [c.variant, c.budget, c.outcome])).toEqual([
      ['single (linux/arm64)', 'max-increase', 'fail'],
      ['multi (linux/amd64)', 'max-ratio', 'pass'],
      ['multi (linux/arm64)', 'max-ratio', 'pass'],
    ]);
    const [comment] = github.server.comments('octo-org', 'shop', 7);
    for (const body of [comment.body, result.summary]) {
      expect(body).toMatch(/\| ❌ \*\*single \(linux\/arm64\)\*\* +\| Size +\| .*\+200 kB/);
      expect(body).toMatch(/\| ✅ \*\*single \(linux\/amd64\)\*\* +\| Size +\|/);
      expect(body).toMatch(/\*\*multi \(linux\/arm64\)\*\* is \*\*\d+\.\d% smaller\*\* than \*\*single \(linux\/arm64\)\*\*/);
    }
    expect(toolImageTags().filter((t) => !kept.includes(t))).toEqual([]);
  });
});
