// The registry client against a real registry (htpasswd basic auth) behind a loopback front that injects what
// registries do in the wild: 503 and 429 answers (retried with back-off, then a clear error) and blob downloads
// redirected to an object store on another host (followed, without the registry's Authorization).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isUserError } from '../../src/errors.js';
import { createRegistry } from '../../src/registry/client.js';
import { startFront, type Front } from '../support/registry-front.js';
import { basicAuth, dockerConfig, recordingLog, seedImages, type Seeded, removeScratch } from '../support/registry-client.js';
import { PASSWORD, PORTS, startRegistries, USER, type Registries } from '../support/registries.js';

let servers: Registries;
let seeded: Seeded;
let front: Front;
const amd64 = { os: 'linux', architecture: 'amd64' };

beforeAll(async () => {
  servers = await startRegistries();
  seeded = await seedImages(servers.plain.addr);
  front = await startFront(PORTS.front, PORTS.store, servers.basic.addr, servers.plain.addr);
});

afterAll(async () => {
  await front?.stop();
  await servers?.stop();
  removeScratch();
});

beforeEach(() => {
  front.fail(0, 503);
  front.redirectBlobs = false;
});

async function client(retries: number) {
  const log = recordingLog();
  const env = {
    HOME: '/nonexistent',
    PATH: process.env.PATH,
    DOCKER_CONFIG: dockerConfig({ auths: { [front.addr]: { auth: basicAuth(USER, PASSWORD) } } }),
  };
  return { log, registry: await createRegistry({ env, log, timeoutMs: 5000, retries, retryMinMs: 20 }) };
}

describe('retries', () => {
  it.each([503, 429])('HTTP %i twice, then the answer: retried with back-off, each retry logged', async (status) => {
    const { registry, log } = await client(3);
    // Warm up (the handshake), so that the injected answers hit the manifest request.
    expect((await registry.image(`${front.addr}/tests/app:single`, amd64)).found).toBe(true);
    front.fail(2, status);
    const found = await registry.image(`${front.addr}/tests/app:single`, amd64);
    expect(found.found && found.image.manifestDigest).toBe(seeded.amd64.manifest.digest);
    const retried = log.lines.filter((l) => l.includes(`HTTP ${status}`) && l.includes('retrying'));
    for (const line of log.lines) expect(line).not.toContain(basicAuth(USER, PASSWORD));
    expect(retried).toHaveLength(2);
    expect(retried[0]).toContain('attempt 1 of 4');
  });

  it('HTTP 503 on every attempt: a user error naming the reference and the status, after the retries', async () => {
    const { registry } = await client(2);
    expect((await registry.image(`${front.addr}/tests/app:single`, amd64)).found).toBe(true);
    const before = front.seen.length;
    front.fail(100, 503);
    const error = await registry.image(`${front.addr}/tests/app:single`, amd64).catch((e: unknown) => e);
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toContain(`${front.addr}/tests/app:single`);
    expect((error as Error).message).toMatch(/HTTP 503 \(server error, on every attempt\).*UNAVAILABLE injected by the test/);
    expect(front.seen.length - before).toBe(3);
  });
});

describe('refusals', () => {
  it('HTTP 403: a user error saying the credentials were accepted but may not pull, naming their source', async () => {
    const { registry, log } = await client(1);
    front.fail(1, 403);
    const error = await registry.image(`${front.addr}/tests/app:single`, amd64).catch((e: unknown) => e);
    expect(isUserError(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('HTTP 403 forbidden');
    expect(message).toContain(`auths entry for ${front.addr}`);
    expect(message).toContain('grant them read access');
    for (const text of [message, ...log.lines]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(basicAuth(USER, PASSWORD));
    }
  });
});

describe('redirects', () => {
  it('a blob redirected to another host is followed, and the registry credentials are not sent there', async () => {
    const { registry } = await client(1);
    front.redirectBlobs = true;
    const found = await registry.image(`${front.addr}/tests/app:single`, amd64);
    if (!found.found) throw new Error(found.reason);
    expect(found.image.configDigest).toBe(seeded.amd64.config.digest);
    const chunks: Buffer[] = [];
    for await (const c of await registry.openBlob(found.image, found.image.layers[1])) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(seeded.amd64.layers[1].bytes);
    // The config and the layer went through the store, without Authorization.
    expect(front.storeAuthorizations).toEqual(['', '']);
  });
});
