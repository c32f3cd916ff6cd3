// The layer analysis of real images, built by the real engine with both builders, checked against what the
// engine itself says, on every engine of the matrix: Docker 20.10 writes `docker save` in the pre-25 layout
// (`<v1 id>/layer.tar`), Docker 28.5 the OCI layout, with uncompressed layers named by diff ID on overlay2 and
// the stored (gzipped) blobs on the containerd store. Edge cases of each layout are in the synthetic save
// archives of __tests__/unit/image-analysis.test.ts.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/docker/engine.js';
import { LayerCache } from '../../src/measure/image/layer-cache.js';
import { pushSizingFor } from '../../src/measure/image/push-sizing.js';
import { readLayers } from '../../src/measure/layers.js';
import { createReport } from '../../src/pipeline.js';
import type { BuiltResult } from '../../src/report/types.js';
import { resolveSettings } from '../../src/settings/schema.js';
import { cacheFiles } from '../support/cache-files.js';
import { allImageIds, dockerInspect, removeImage } from '../support/docker-cli.js';
import { dockerInfo, onContainerdStore, savedLayers, unpackedBytesOf } from '../support/engine-facts.js';
import { commitAll, git, memoryLogger, tempDir } from '../support/workspace.js';

/** A build-arg value with spaces and a `|`, as the history's `|1 TOKEN=...` prefix would trip over. */
const SECRET = 'tok3n with spaces | and a pipe';

const DOCKERFILE = `FROM debian:bookworm-slim
ARG TOKEN
ENV MODE=prod
LABEL team=size
WORKDIR /srv/app
RUN echo "building with $TOKEN" > /dev/null && head -c 300000 /dev/urandom > /srv/app/data.bin && echo hello > /srv/app/greeting
RUN rm -rf /etc/apt && rm /etc/debian_version
RUN head -c 200000 /dev/urandom > /srv/app/data.bin
CMD ["bash"]
`;

/** The instruction of each layer, oldest first: the base image's (imported, so none), then one per line that makes a layer. */
const INSTRUCTIONS = [
  '',
  'WORKDIR /srv/app',
  'RUN echo "building with $TOKEN" > /dev/null && head -c 300000 /dev/urandom > /srv/app/data.bin && echo hello > /srv/app/greeting',
  'RUN rm -rf /etc/apt && rm /etc/debian_version',
  'RUN head -c 200000 /dev/urandom > /srv/app/data.bin',
];

let imagesBefore: string[] = [];
beforeAll(() => {
  imagesBefore = allImageIds();
});
afterAll(() => {
  for (const id of allImageIds()
    .filter((i) => !imagesBefore.includes(i))
    .reverse())
    removeImage(id);
});

/** An engine that counts how often an image is saved. */
class CountingEngine extends DockerEngine {
  saves = 0;
  override async saveImage(reference: string): Promise<Readable> {
    this.saves += 1;
    return super.saveImage(reference);
  }
}

describe.each(['legacy', 'buildkit'] as const)('image analysis with the %s builder', (builder) => {
  it('measures sizes, maps every layer to its instruction, finds the wasted file and keeps the build arg out', async () => {
    const dir = tempDir('analysis');
    git(dir, 'init', '-q', '-b', 'main');
    writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE);
    commitAll(dir, 'image');
    const cacheDir = tempDir('analysis-cache');
    const runId = `analysis-${builder}`;
    const run = (engine: DockerEngine, id: string) =>
      createReport({
        settings: resolveSettings({
          variants: { app: 'Dockerfile' },
          builder,
          'build-args': { TOKEN: SECRET },
          'keep-images': true,
          'cache-dir': cacheDir,
          'compressed-size': true,
        }),
        workingDirectory: dir,
        engine,
        baseline: { source: 'none' },
        head: {},
        runId: id,
        log: memoryLogger(),
      });
    const report = await run(new DockerEngine(), runId);
    const head = report.variants[0].head as BuiltResult;
    expect(head.status).toBe('built');
    expect(head.analysisError).toBeUndefined();
    const tag = `image-size-report/app:head-${runId}`;
    const engine = dockerInspect(tag);
    const base = dockerInspect('debian:bookworm-slim');
    const saved = savedLayers(tag);

    // sizes: the layers' own files and symlinks add up to what overlay2 reports, and to what GNU tar lists
    expect(report.engine.storage).toBe(dockerInfo().Driver);
    expect(head.imageId).toBe(engine.Id);
    expect(head.sizeBytes).toBe(unpackedBytesOf(tag));
    expect(head.layerDetails!.map((l) => l.sizeBytes)).toEqual(saved.map((l) => l.unpackedBytes));
    expect(head.engineSizeBytes).toBe(engine.Size);
    expect(head.compressedBytes).toBeGreaterThan(0);
    expect(head.compressedBytes).toBeLessThan(head.sizeBytes);
    // on the containerd store a push uploads the stored blobs: those are the compressed sizes, to the byte
    if (onContainerdStore()) expect(head.layerDetails!.map((l) => l.compressedBytes)).toEqual(saved.map((l) => l.blobBytes));

    // layers: the base image's one, WORKDIR (a layer of 0 bytes), three RUNs; ARG, ENV, LABEL and CMD make none
    expect(head.layers).toBe(engine.RootFS.Layers.length);
    expect(head.layers).toBe(base.RootFS.Layers.length + 4);
    expect(head.baseImageLayers).toBe(base.RootFS.Layers.length);
    const details = head.layerDetails!;
    expect(details.map((l) => l.diffId)).toEqual(engine.RootFS.Layers);
    expect(details.map((l) => l.instruction)).toEqual(INSTRUCTIONS);
    expect(details.map((l) => l.fromBaseImage)).toEqual([true, false, false, false, false]);
    // unpacked per layer: the base as the engine sizes it, WORKDIR nothing, the files written, whiteouts nothing
    expect(details.map((l) => l.sizeBytes)).toEqual([unpackedBytesOf('debian:bookworm-slim'), 0, 300_000 + 'hello\n'.length, 0, 200_000]);
    // the WORKDIR layer and the layer that only deletes count as layers, not as layers with content
    expect(head.contentLayers).toBe(head.layers - 2);
    for (const layer of details) expect(layer.compressedBytes).toBeGreaterThan(0);
    expect(details.reduce((sum, l) => sum + l.compressedBytes!, 0)).toBe(head.compressedBytes);

    // wasted space: data.bin written twice (300,000 + 200,000) and debian_version deleted (its bytes and a
    // whiteout); /etc/apt's directory whiteout is no waste by dive's rules (the directory was never a leaf)
    const debianVersion = Number(
      execFileSync('docker', ['run', '--rm', 'debian:bookworm-slim', 'stat', '-c', '%s', '/etc/debian_version'], {
        encoding: 'utf8',
      }).trim(),
    );
    expect(head.efficiency!.topWasted).toEqual([
      { path: 'srv/app/data.bin', bytes: 500_000, copies: 2 },
      { path: 'etc/debian_version', bytes: debianVersion, copies: 2 },
    ]);
    expect(head.efficiency!.wastedBytes).toBe(500_000 + debianVersion);
    expect(head.efficiency!.score).toBeGreaterThan(0.9);
    expect(head.efficiency!.score).toBeLessThan(1);

    // the build arg, recorded in clear text in the image's history, is nowhere in the report nor in the cache
    expect(execFileSync('docker', ['history', '--no-trunc', tag], { encoding: 'utf8' })).toContain(SECRET);
    for (const part of [SECRET, 'tok3n']) expect(JSON.stringify(report)).not.toContain(part);
    const cached = cacheFiles(cacheDir);
    expect(cached.length).toBe(2 * engine.RootFS.Layers.length + 2); // every layer (facts, listing), the config by image ID and by history
    for (const { text } of cached) expect(text).not.toContain('tok3n');

    // a second measurement, in a later run with the same cache directory, reads nothing and says the same
    const counting = new CountingEngine();
    const again = await readLayers(counting, {
      facts: await counting.inspect(tag),
      baseImage: 'debian:bookworm-slim',
      compressed: true,
      push: pushSizingFor(await counting.connect()),
      cache: new LayerCache(path.join(cacheDir)),
      secrets: [SECRET],
    });
    expect(counting.saves).toBe(0);
    expect(again).toEqual({
      sizeBytes: head.sizeBytes,
      compressedBytes: head.compressedBytes,
      baseImageLayers: head.baseImageLayers,
      contentLayers: head.contentLayers,
      layerDetails: head.layerDetails,
      efficiency: head.efficiency,
    });

    // the same build in a later run: every step is cached, but the run's label gives the image a new ID; its
    // config is found by its history, so the image is not saved at all, and the figures are the same
    const rebuilding = new CountingEngine();
    const later = await run(rebuilding, `${runId}-later`);
    const rebuilt = later.variants[0].head as BuiltResult;
    expect(rebuilt.status).toBe('built');
    expect(rebuilt.cachedSteps).toBeGreaterThan(0);
    expect(rebuilt.imageId).not.toBe(head.imageId);
    expect(rebuilding.saves).toBe(0);
    const figures = (r: BuiltResult) => [r.sizeBytes, r.compressedBytes, r.contentLayers, r.layerDetails, r.efficiency];
    expect(figures(rebuilt)).toEqual(figures(head));
  });
});
