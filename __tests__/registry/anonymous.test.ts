// The registry client against a real registry without auth over plain HTTP on loopback (Debian's
// docker-registry): manifests, an index's platform entry, the config and the layer blobs, and what is missing.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/registry/client.js';
import { isUserError } from '../../src/errors.js';
import type { Registry } from '../../src/registry/types.js';
import { DOCKER, makeImage, makeIndex, OCI, sha256, type Image } from '../support/oci-image.js';
import { recordingLog, seedImages, removeScratch, scratch } from '../support/registry-client.js';
import { pushImage, putManifest, startRegistries, type Registries } from '../support/registries.js';

let servers: Registries;
let registry: Registry;
let amd64: Image;
let arm64: Image;
const log = recordingLog();

async function read(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  servers = await startRegistries();
  ({ amd64, arm64 } = await seedImages(servers.plain.addr));
  registry = await createRegistry({
    env: { HOME: scratch('home'), PATH: process.env.PATH },
    log,
    timeoutMs: 5000,
    retries: 1,
    retryMinMs: 50,
  });
});

afterAll(async () => {
  await servers?.stop();
  removeScratch();
});

describe('anonymous, plain HTTP on loopback', () => {
  it('reads a single image: manifest digest, config (digest checked), layers with their media types', async () => {
    const found = await registry.image(`${servers.plain.addr}/tests/app:single`, { os: 'linux', architecture: 'amd64' });
    if (!found.found) throw new Error(found.reason);
    const { image } = found;
    expect(image.manifestDigest).toBe(amd64.manifest.digest);
    expect(image.indexDigest).toBeUndefined();
    expect(image.configDigest).toBe(amd64.config.digest);
    expect(sha256(image.config)).toBe(amd64.config.digest);
    expect(JSON.parse(image.config.toString()).history).toHaveLength(4);
    expect(image.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(image.layers).toEqual(amd64.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.bytes.length })));
    expect(image.layers.map((l) => l.mediaType)).toEqual([OCI.gzip, OCI.zstd, OCI.tar]);
    expect(image.reference).toMatchObject({ registry: servers.plain.addr, repository: 'tests/app', tag: 'single' });
  });

  it('streams each layer blob as stored, byte for byte', async () => {
    const found = await registry.image(`${servers.plain.addr}/tests/app:single`, { os: 'linux', architecture: 'amd64' });
    if (!found.found) throw new Error(found.reason);
    for (const [i, layer] of found.image.layers.entries()) {
      expect(await read(await registry.openBlob(found.image, layer))).toEqual(amd64.layers[i].bytes);
    }
  });

  it('picks the platform of an index: arm64 matches the entry arm64/v8 (its default variant)', async () => {
    const arm = await registry.image(`${servers.plain.addr}/tests/app:multi`, { os: 'linux', architecture: 'arm64' });
    if (!arm.found) throw new Error(arm.reason);
    expect(arm.image.manifestDigest).toBe(arm64.manifest.digest);
    expect(arm.image.indexDigest).toMatch(/^sha256:/);
    expect(arm.image.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(arm.image.configDigest).toBe(arm64.config.digest);
    const amd = await registry.image(`${servers.plain.addr}/tests/app:multi`, { os: 'linux', architecture: 'amd64' });
    if (!amd.found) throw new Error(amd.reason);
    expect(amd.image.manifestDigest).toBe(amd64.manifest.digest);
  });

  it('a platform the index lacks is a user error naming the platforms it has', async () => {
    const error = await registry
      .image(`${servers.plain.addr}/tests/app:multi`, { os: 'linux', architecture: 's390x' })
      .catch((e: unknown) => e);
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toContain(`${servers.plain.addr}/tests/app:multi`);
    expect((error as Error).message).toContain('linux/s390x');
    expect((error as Error).message).toContain('linux/amd64, linux/arm64/v8');
  });

  it("Docker's media types: a manifest list of v2 manifests, with an attestation entry skipped", async () => {
    const docker = await makeImage(
      { os: 'linux', architecture: 'arm', variant: 'v7' },
      [{ files: { 'x.txt': 'docker' }, compression: 'gzip', createdBy: 'COPY x.txt /' }],
      'docker',
    );
    const other = await makeImage(
      { os: 'linux', architecture: 'ppc64le' },
      [{ files: { 'y.txt': 'y' }, compression: 'gzip', createdBy: 'COPY y.txt /' }],
      'docker',
    );
    await pushImage(servers.plain.addr, 'tests/docker', docker);
    await pushImage(servers.plain.addr, 'tests/docker', other);
    await putManifest(
      servers.plain.addr,
      'tests/docker',
      'list',
      makeIndex(
        [
          { image: other, platform: { os: 'unknown', architecture: 'unknown' } },
          { image: docker, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        ],
        'docker',
      ),
    );
    const found = await registry.image(`${servers.plain.addr}/tests/docker:list`, { os: 'linux', architecture: 'arm' });
    if (!found.found) throw new Error(found.reason);
    expect(found.image.manifestDigest).toBe(docker.manifest.digest);
    expect(found.image.layers).toEqual([{ digest: docker.layers[0].digest, mediaType: DOCKER.gzip, size: docker.layers[0].bytes.length }]);
    const error = await registry
      .image(`${servers.plain.addr}/tests/docker:list`, { os: 'linux', architecture: 'ppc64le' })
      .catch((e: unknown) => e);
    // The unknown/unknown entry (an attestation's) is not offered as a platform.
    expect((error as Error).message).toMatch(/it has linux\/arm\/v7: choose/);
  });

  it('by digest: the manifest asked for', async () => {
    const found = await registry.image(`${servers.plain.addr}/tests/app@${arm64.manifest.digest}`, { os: 'linux', architecture: 'amd64' });
    if (!found.found) throw new Error(found.reason);
    expect(found.image.manifestDigest).toBe(arm64.manifest.digest);
    expect(found.image.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
  });

  it('a missing tag, a missing repository: found false with the reason, no throw', async () => {
    const tag = await registry.image(`${servers.plain.addr}/tests/app:nope`, { os: 'linux', architecture: 'amd64' });
    expect(tag).toEqual({
      found: false,
      reason: expect.stringMatching(/app:nope is not in registry 127\.0\.0\.1:\d+: HTTP 404 \(not found\): MANIFEST_UNKNOWN/),
    });
    const repo = await registry.image(`${servers.plain.addr}/tests/none:latest`, { os: 'linux', architecture: 'amd64' });
    expect(repo).toEqual({
      found: false,
      reason: expect.stringMatching(/tests\/none:latest is not in registry .*HTTP 404.*(NAME|MANIFEST)_UNKNOWN/),
    });
  });

  it('a blob whose bytes do not match its digest: the stream errors at the end, naming the layer', async () => {
    // Corrupt a blob in the registry's storage (same length, other bytes): the registry serves it as it is.
    const image = await makeImage({ os: 'linux', architecture: 'amd64' }, [
      { files: { 'corrupt.txt': 'to be corrupted '.repeat(50) }, compression: 'gzip', createdBy: 'COPY corrupt.txt /' },
    ]);
    await pushImage(servers.plain.addr, 'tests/corrupt', image, 'latest');
    const layer = image.layers[0];
    const hex = layer.digest.slice('sha256:'.length);
    const data = path.join(servers.root, 'storage/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const bytes = readFileSync(data);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(data, bytes);
    const found = await registry.image(`${servers.plain.addr}/tests/corrupt`, { os: 'linux', architecture: 'amd64' });
    if (!found.found) throw new Error(found.reason);
    const error = await read(await registry.openBlob(found.image, found.image.layers[0])).catch((e: unknown) => e);
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toContain(`layer ${layer.digest} of ${servers.plain.addr}/tests/corrupt:latest`);
    expect((error as Error).message).toMatch(/whose digest is sha256:[0-9a-f]{64}, not sha256:/);
  });
});

afterAll(() => {
  // Nothing here logs unless a request was retried.
  expect(log.lines.filter((l) => !l.includes('retrying'))).toEqual([]);
});
