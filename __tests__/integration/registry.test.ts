// Compressed sizes against a real registry: small but realistic images are built, pushed to the registry on
// loopback (Debian's docker-registry, distribution 2.8), and the layer sizes in the manifest it serves are
// compared with ours, per layer and in total. The daemon here compresses with Go 1.19's gzip on push.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/docker/engine.js';
import { analyzeImage } from '../../src/measure/image/analyze.js';
import { LayerCache } from '../../src/measure/image/layer-cache.js';
import { removeImage } from '../support/docker-cli.js';
import { deletePushed, ensureRegistry, pushImage, type PushedImage } from '../support/registry.js';
import { tempDir } from '../support/workspace.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const built: string[] = [];
const pushed: PushedImage[] = [];

beforeAll(() => {
  ensureRegistry();
});

afterAll(async () => {
  for (const image of pushed) await deletePushed(image);
  built.forEach(removeImage);
});

/**
 * Our compressed size of each layer of a local image, oldest first: `docker save` streamed through tar-stream,
 * every layer tar measured as it passes. (Docker < 25 writes `<id>/layer.tar`, a repeated layer as a symlink to
 * the first, and `manifest.json`, which lists the layers in order, after them.) This is the one function to
 * replace with the image analyzer.
 */
/** Our compressed size of each layer, oldest first: the analyzer the action runs, over the engine's save stream. */
async function ourLayerSizes(ref: string): Promise<number[]> {
  const engine = new DockerEngine();
  const facts = await engine.inspect(ref);
  const analysis = await analyzeImage({
    imageId: facts.id,
    diffIds: facts.layers,
    open: () => engine.saveImage(facts.id),
    cache: new LayerCache(),
    compressed: true,
  });
  return analysis.layers.map((layer) => layer.compressedBytes!);
}

function build(name: string, dockerfile: string, files: (context: string) => void = () => undefined): string {
  const context = tempDir('registry');
  writeFileSync(path.join(context, 'Dockerfile'), dockerfile);
  files(context);
  const tag = `image-size-report-test/registry-${name}:${RUN}`;
  built.push(tag);
  execFileSync('docker', ['build', '--quiet', '--pull=false', '--force-rm', '-t', tag, context], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
  return tag;
}

/** Pushes the image, measures it ourselves and compares: every layer and the total within 1%. */
async function expectWithinOnePercent(tag: string, name: string): Promise<void> {
  const image = await pushImage(tag, `image-size-report-test/${name}-${RUN}`, 'v1');
  pushed.push(image);
  const registry = image.layers.map((layer) => layer.size);
  const ours = await ourLayerSizes(tag);
  const table = registry.map((size, i) => `layer ${i}: registry ${size}, ours ${ours[i]} (${(((ours[i] - size) / size) * 100).toFixed(4)}%)`).join('\n');
  expect(ours.length, table).toBe(registry.length);
  registry.forEach((size, i) => {
    // 1%, and at least 2 bytes for layers of a few hundred bytes, where Huffman ties Go breaks its own way
    // could move the size by a byte.
    expect(Math.abs(ours[i] - size), table).toBeLessThanOrEqual(Math.max(0.01 * size, 2));
  });
  const total = registry.reduce((a, b) => a + b, 0);
  const ourTotal = ours.reduce((a, b) => a + b, 0);
  expect(Math.abs(ourTotal - total) / total, table).toBeLessThan(0.01);
}

describe('compressed size against a real registry', () => {
  it('text: source files, and numbers with a step (where zlib -6 is 6% off Go)', async () => {
    const tag = build(
      'text',
      [
        'FROM busybox:latest',
        'COPY tslib /opt/tslib',
        'COPY yaml /opt/yaml',
        // numeric text with a step: full of 3-byte repeats, which Go's deflate does not use and zlib's does
        `RUN mkdir /opt/numbers && awk 'BEGIN { for (f = 0; f < 200; f++) { file = "/opt/numbers/" f ".txt"; for (i = f; i < f * 40 + 2000; i += 7) print i > file; close(file) } }'`,
      ].join('\n'),
      (context) => {
        const tslib = path.join(ROOT, 'node_modules/typescript/lib');
        mkdirSync(path.join(context, 'tslib'));
        for (const file of readdirSync(tslib).filter((name) => /^lib\..*\.d\.ts$/.test(name))) {
          cpSync(path.join(tslib, file), path.join(context, 'tslib', file));
        }
        cpSync(path.join(ROOT, 'node_modules/yaml'), path.join(context, 'yaml'), { recursive: true });
      },
    );
    await expectWithinOnePercent(tag, 'text');
  });

  it('binaries and random data (incompressible)', async () => {
    const tag = build(
      'binary',
      [
        'FROM busybox:latest',
        'RUN head -c 4000000 /dev/urandom > /random.bin',
        'RUN mkdir -p /opt && cp /bin/busybox /opt/busybox-copy && head -c 600000 /random.bin | od -A x -t x1 > /opt/hexdump.txt',
      ].join('\n'),
    );
    await expectWithinOnePercent(tag, 'binary');
  });

  it('many small files, a WORKDIR layer of a few hundred bytes, and an instruction without a layer', async () => {
    const tag = build(
      'small-files',
      [
        'FROM busybox:latest',
        `RUN awk 'BEGIN { for (i = 0; i < 3000; i++) { d = "/many/d" (i % 40); if (i < 40) system("mkdir -p " d); file = d "/f" i; print "file", i, i * 7919 % 10007 > file; close(file) } }'`,
        'ENV MODE=test',
        'WORKDIR /app',
      ].join('\n'),
    );
    await expectWithinOnePercent(tag, 'small-files');
  });

  it('a real Debian root filesystem (debian:bookworm-slim) and shared libraries on top', async () => {
    const tag = build('debian', ['FROM debian:bookworm-slim', 'RUN mkdir /opt/libs && cp -a /usr/lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libstdc++* /usr/bin/perl /opt/libs/'].join('\n'));
    await expectWithinOnePercent(tag, 'debian');
  });
});
