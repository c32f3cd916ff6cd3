// baseline: registry with platforms (issue 12): the base commit's image published as one OCI index of linux/amd64
// and linux/arm64 (`docker buildx build --platform linux/amd64,linux/arm64 --push`, the arm64 RUN under QEMU), and
// each row of the bundled CLI's run read from its own platform's manifest in that index, with the numbers of a
// rebuilt base of the same commit and platform, and no base build.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuiltResult, Report, VariantReport } from '../../src/report/types.js';
import { allImageIds, removeImage } from '../support/docker-cli.js';
import { engineUnderTest, onContainerdStore } from '../support/engine-facts.js';
import { deletePushed, ensureRegistry, readManifest, REGISTRY, type PushedImage } from '../support/registry.js';
import { commitAll, git, tempDir } from '../support/workspace.js';

const CLI = path.resolve(import.meta.dirname, '../../dist/cli.js');
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
/** A repository of this run's own, so that runs on other engines (or earlier runs) do not meet its tags. */
const REPOSITORY = `isr-regplat/${(process.env.ISR_ENGINE ?? 'engine').replace(/[^a-z0-9]+/g, '-')}-${Date.now().toString(36)}`;

/**
 * The padding each machine's RUN writes (`uname -m` as QEMU reports it for arm64): different per platform, so that
 * a row read from the other platform's manifest shows. The head grows arm64's padding only.
 */
const PAD_KIB = { base: { x86_64: 100, aarch64: 300 }, head: { x86_64: 100, aarch64: 500 } } as const;
const dockerfile = (pad: { x86_64: number; aarch64: number }) =>
  `FROM busybox:multi\nRUN uname -m > /arch && if [ "$(uname -m)" = aarch64 ]; then n=${pad.aarch64}; else n=${pad.x86_64}; fi && head -c $((n * 1024)) /dev/zero > /pad\n`;

// A graph driver keeps one platform per tag: there buildx's docker driver refuses the build ("Multi-platform build is
// not supported for the docker driver. Switch to a different driver, or turn on the containerd image store", checked
// on Docker 28.5 with overlay2), and `busybox:multi` exists on the containerd store only (scripts/engines.sh).
const SKIP = onContainerdStore()
  ? undefined
  : `${engineUnderTest().name} keeps images in a graph driver, whose docker-driver builder cannot push a multi-platform index`;

interface IndexEntry {
  digest: string;
  platform?: { os: string; architecture: string; variant?: string };
}

/** The index as the registry serves it, and its Docker-Content-Digest. */
async function readIndex(reference: string): Promise<{ digest: string; manifests: IndexEntry[] }> {
  const response = await fetch(`http://${REGISTRY}/v2/${REPOSITORY}/manifests/${reference}`, { headers: { Accept: OCI_INDEX } });
  if (!response.ok) throw new Error(`registry: GET ${REPOSITORY}:${reference}: HTTP ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { mediaType?: string; manifests?: IndexEntry[] };
  expect(body.mediaType).toBe(OCI_INDEX);
  return { digest: response.headers.get('docker-content-digest')!, manifests: body.manifests ?? [] };
}

function cli(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 900_000,
    env: { ...process.env, DOCKER_CONFIG: tempDir('regplat-docker-config') }, // no credentials: the loopback registry needs none
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const row = (report: Report, platform: string): VariantReport => {
  const found = report.variants.find((v) => v.platform === platform);
  expect(found, `a row for ${platform}`).toBeDefined();
  return found!;
};
const built = (result: VariantReport['base'] | VariantReport['head']): BuiltResult => {
  expect(result?.status, JSON.stringify(result)).toBe('built');
  return result as BuiltResult;
};

const pushed: PushedImage[] = [];
let indexDigest: string | undefined;
let imagesBefore: string[] | undefined;
const localTags: string[] = [];

afterAll(async () => {
  // the index (the registry allows deletes: scripts/setup-registry.sh), then each of its manifests (the platforms'
  // and buildx's attestations) with the repository's links to their blobs
  if (indexDigest) {
    const response = await fetch(`http://${REGISTRY}/v2/${REPOSITORY}/manifests/${indexDigest}`, { method: 'DELETE' });
    if (!response.ok && response.status !== 404) throw new Error(`registry: DELETE the index ${indexDigest}: HTTP ${response.status}`);
  }
  for (const image of pushed) await deletePushed(image);
  localTags.forEach(removeImage);
  if (imagesBefore) {
    for (const id of allImageIds()
      .filter((i) => !imagesBefore!.includes(i))
      .reverse())
      removeImage(id);
  }
});

describe('baseline: registry with an index of two platforms', () => {
  it.skipIf(SKIP !== undefined)(
    `each row reads its own platform's manifest of the published index, with the numbers of a rebuilt base of that platform, and no base build${SKIP ? ` (skipped: ${SKIP})` : ''}`,
    async () => {
      ensureRegistry();
      imagesBefore = allImageIds();
      const dir = tempDir('regplat');
      writeFileSync(path.join(dir, 'Dockerfile'), dockerfile(PAD_KIB.base));
      git(dir, 'init', '-q', '-b', 'main');
      const baseSha = commitAll(dir, 'base');

      // 1. the base commit published as one index of both platforms, by the engine's own BuildKit (buildx's docker
      // driver); a loopback registry is plain HTTP, which the engine allows for 127.0.0.0/8 without a setting
      const reference = `${REGISTRY}/${REPOSITORY}:app`;
      localTags.push(reference); // on the containerd store the docker driver also keeps the image under that name
      const build = spawnSync(
        'docker',
        [
          'buildx',
          'build',
          '--builder',
          'default',
          '--platform',
          PLATFORMS.join(','),
          '--push',
          '--progress',
          'plain',
          '-t',
          reference,
          dir,
        ],
        { encoding: 'utf8', timeout: 600_000 },
      );
      expect(build.status, build.stderr).toBe(0);
      const index = await readIndex('app');
      indexDigest = index.digest;
      for (const entry of index.manifests) {
        pushed.push({ repository: REPOSITORY, tag: 'app', reference, ...(await readManifest(REPOSITORY, entry.digest)) });
      }
      const entryOf = (platform: string) => {
        const [os, architecture] = platform.split('/');
        const entries = index.manifests.filter((m) => m.platform?.os === os && m.platform.architecture === architecture);
        expect(entries, `one ${platform} manifest in the index`).toHaveLength(1);
        return pushed.find((p) => p.manifestDigest === entries[0].digest)!;
      };
      const published = { 'linux/amd64': entryOf('linux/amd64'), 'linux/arm64': entryOf('linux/arm64') };
      expect(published['linux/amd64'].manifestDigest).not.toBe(published['linux/arm64'].manifestDigest);

      // the change: arm64's padding grows by 200 KiB; amd64's RUN runs again (a new layer) with the same bytes
      writeFileSync(path.join(dir, 'Dockerfile'), dockerfile(PAD_KIB.head));
      commitAll(dir, 'grow on arm64');

      // 2. the bundled CLI, bases from the registry only; then the same with the base commit rebuilt, as the witness
      const common = ['--variants', '{app: Dockerfile}', '--platforms', PLATFORMS.join(','), '--cache-dir', 'none', '--json', '-'];
      const fromRegistry = cli(dir, ...common, '--baseline', 'registry', '--baseline-image', `${REGISTRY}/${REPOSITORY}:{variant}`);
      expect(fromRegistry.code, fromRegistry.stderr).toBe(0);
      const rebuilt = cli(dir, ...common, '--base', baseSha);
      expect(rebuilt.code, rebuilt.stderr).toBe(0);
      const registryReport = JSON.parse(fromRegistry.stdout) as Report;
      const rebuiltReport = JSON.parse(rebuilt.stdout) as Report;

      // 3. no base build ran in the registry run: only this change's two builds, and a registry read per row
      expect(fromRegistry.stderr.split('\n').filter((l) => l.startsWith('Building'))).toEqual([
        'Building app (linux/amd64) (this change)...',
        'Building app (linux/arm64) (this change)...',
      ]);
      expect(fromRegistry.stderr).not.toContain('(base)');
      for (const platform of PLATFORMS) expect(fromRegistry.stderr).toContain(`Reading the base of app (${platform}) from ${reference}`);
      expect(rebuilt.stderr).toContain('Building app (linux/arm64) (base)...');
      expect(registryReport.base).toEqual({ source: 'registry' });

      expect(registryReport.variants.map((v) => [v.name, v.variant, v.platform])).toEqual([
        ['app (linux/amd64)', 'app', 'linux/amd64'],
        ['app (linux/arm64)', 'app', 'linux/arm64'],
      ]);
      for (const platform of PLATFORMS) {
        const fromReg = row(registryReport, platform);
        const image = published[platform];
        // the manifest of this row's platform in the index, not the index and not the other platform's
        expect(fromReg.baseSource, platform).toEqual({ source: 'registry', reference, digest: image.manifestDigest });
        const reg = built(fromReg.base);
        expect(reg.imageId, platform).toBe(image.configDigest);
        expect(reg.buildMs).toBeUndefined();
        // the base's RUN layer (not this change's) counts the size its platform's manifest gives it
        expect(reg.layerDetails!.at(-1)!.compressedBytes).toBe(image.layers.at(-1)!.size);

        const reb = built(row(rebuiltReport, platform).base);
        expect(reg.sizeBytes, platform).toBe(reb.sizeBytes);
        expect(reg.layers, platform).toBe(reb.layers);
        expect(reg.contentLayers, platform).toBe(reb.contentLayers);
        expect(reg.layerDetails!.map((l) => [l.instruction, l.sizeBytes])).toEqual(
          reb.layerDetails!.map((l) => [l.instruction, l.sizeBytes]),
        );
        expect(Math.abs(reg.compressedBytes! - reb.compressedBytes!) / reb.compressedBytes!).toBeLessThan(0.01);
        expect(fromReg.change!.sizeBytes).toBe(row(rebuiltReport, platform).change!.sizeBytes);
        expect(fromReg.change!.layers).toBe(row(rebuiltReport, platform).change!.layers);
        expect(built(fromReg.head).sizeBytes).toBe(built(row(rebuiltReport, platform).head).sizeBytes);
      }
      // each platform's own figures: arm64's base is its 300 KiB padding (and "aarch64\n"), amd64's its 100 KiB
      const runLayer = (platform: string) => built(row(registryReport, platform).base).layerDetails!.at(-1)!.sizeBytes;
      expect(runLayer('linux/amd64')).toBe(PAD_KIB.base.x86_64 * 1024 + 'x86_64\n'.length);
      expect(runLayer('linux/arm64')).toBe(PAD_KIB.base.aarch64 * 1024 + 'aarch64\n'.length);
      // only the grown platform shows growth
      expect(row(registryReport, 'linux/amd64').change).toMatchObject({ sizeBytes: 0, layers: 0 });
      expect(row(registryReport, 'linux/arm64').change).toMatchObject({
        sizeBytes: (PAD_KIB.head.aarch64 - PAD_KIB.base.aarch64) * 1024,
        layers: 0,
      });
    },
  );
});
