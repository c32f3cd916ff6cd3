// Where the growth came from, on a real engine: a variant whose FROM image changes between the base commit and
// this change (two local tags of a base image built here, as a Renovate bump moves python:3.12-slim to a new
// digest) while its own layers stay the same. The change is split into the base image's part and its own, and
// max-own-increase passes where max-increase fails.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/docker/engine.js';
import { createReport } from '../../src/pipeline.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import type { BuiltResult } from '../../src/report/types.js';
import { resolveSettings } from '../../src/settings/schema.js';
import { removeImage } from '../support/docker-cli.js';
import { commitAll, memoryLogger, repoFromFixture, tempDir } from '../support/workspace.js';

const TAG = `isr-split-base-${process.pid}`;

/** The base image, tagged `TAG:<tag>`: busybox and one layer of `bytes` zero bytes. */
function baseImage(tag: string, bytes: number): void {
  const dir = tempDir('split-base');
  writeFileSync(path.join(dir, 'Dockerfile'), `FROM busybox:latest\nRUN head -c ${bytes} /dev/zero > /base.bin\n`);
  execFileSync('docker', ['build', '-q', '-t', `${TAG}:${tag}`, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
}

afterAll(() => {
  removeImage(`${TAG}:v1`);
  removeImage(`${TAG}:v2`);
});

describe('a bump of the base image', () => {
  it("is the base image's part of the change: max-own-increase passes, max-increase fails", async () => {
    baseImage('v1', 100_000);
    baseImage('v2', 400_000);
    const { dir } = repoFromFixture('tiny-app');
    const dockerfile = (tag: string) => `FROM ${TAG}:${tag}\nCOPY app.sh /app/app.sh\nRUN echo own > /app/own.txt\n`;
    writeFileSync(path.join(dir, 'Dockerfile.app'), dockerfile('v1'));
    const baseSha = commitAll(dir, 'the app, on v1 of its base image');
    writeFileSync(path.join(dir, 'Dockerfile.app'), dockerfile('v2'));
    commitAll(dir, 'bump the base image to v2');

    const report = await createReport({
      settings: resolveSettings({
        variants: { app: 'Dockerfile.app' },
        budgets: { app: { 'max-increase': '100kB', 'max-own-increase': '1kB' } },
        'cache-dir': 'none',
      }),
      workingDirectory: dir,
      engine: new DockerEngine(),
      baseline: { source: 'rebuild', commit: baseSha, ref: 'main' },
      head: {},
      runId: 'split',
      log: memoryLogger(),
    });

    const app = report.variants[0];
    const [head, base] = [app.head as BuiltResult, app.base as BuiltResult];
    expect([head.status, base.status]).toEqual(['built', 'built']);
    // busybox's layer and the base image's own: known on both sides, as the FROM images are in the engine
    expect([base.baseImageLayers, head.baseImageLayers]).toEqual([2, 2]);
    expect(head.layers).toBe(4);
    const change = app.change!;
    expect(change.sizeBytes).toBe(300_000);
    expect(change.baseImage?.sizeBytes).toBe(300_000);
    // the Dockerfile's layers are rebuilt on the new base with the same content
    expect(change.own?.sizeBytes).toBe(0);
    expect(change.baseImage!.compressedBytes).toBeGreaterThan(0);
    expect(report.budgets.map((c) => [c.budget, c.actual, c.outcome])).toEqual([
      ['max-increase', 300_000, 'fail'],
      ['max-own-increase', 0, 'pass'],
    ]);
    expect(report.status).toBe('fail');

    const md = renderMarkdown(report);
    expect(md).toMatch(/\| +\| ↳ base image \| +\d\.\d\d MB \| +\d\.\d\d MB \| +\+300 kB \|/);
    expect(md).toMatch(/\| +\| ↳ own layers \| +\d+ B \| +\d+ B \| +0 B \|/);
    // The Dockerfile's two layers, rebuilt with the same content, are summed up, not listed. The RUN's layer may even
    // be byte for byte the base's (a tar keeps whole seconds: both built within one second), then it is no change.
    expect(md).toMatch(/Also (1 layer|2 layers) rebuilt, same size \(within 0\.1%\)\./);
    expect(md).not.toMatch(/\| changed +\|/);
    expect(md).toContain('app: budget max-increase broken: growth against the base of +300 kB is over the limit of 100 kB.');
  });
});
