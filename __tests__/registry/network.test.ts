// The registry client's transport against real servers: TLS (a docker-registry with a certificate from a CA the
// test makes) trusted through Docker's certs.d or NODE_EXTRA_CA_CERTS, or refused with what to do; a port that
// accepts and never answers (bounded, and the error says how long and how often); cancelling.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvironmentError, isUserError } from '../../src/errors.js';
import { createRegistry } from '../../src/registry/client.js';
import type { RegistryLookup } from '../../src/registry/types.js';
import { recordingLog, seedImages, type Seeded, removeScratch, scratch } from '../support/registry-client.js';
import { startRegistries, type Registries } from '../support/registries.js';
import { makeCertificates } from '../support/tls-certs.js';

let servers: Registries;
let seeded: Seeded;
const log = recordingLog();
const amd64 = { os: 'linux', architecture: 'amd64' };
const env = { HOME: '/nonexistent', PATH: process.env.PATH };

beforeAll(async () => {
  servers = await startRegistries();
  seeded = await seedImages(servers.plain.addr);
});

afterAll(async () => {
  await servers?.stop();
  removeScratch();
});

async function failure(promise: Promise<RegistryLookup>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

/** A certs.d root holding `ca` as `<root>/<addr>/ca.crt`. */
function certsDir(addr: string, ca: string): string {
  const root = scratch('certs-d');
  mkdirSync(path.join(root, addr));
  copyFileSync(ca, path.join(root, addr, 'ca.crt'));
  return root;
}

describe('TLS', () => {
  it('a CA nobody trusts: a user error saying to set NODE_EXTRA_CA_CERTS or certs.d, not retried', async () => {
    const registry = await createRegistry({ env, log, certsDir: scratch('certs-d-empty'), retries: 3, retryMinMs: 50 });
    const error = await failure(registry.image(`${servers.tls.addr}/tests/app:single`, amd64));
    expect(isUserError(error)).toBe(true);
    expect(error.message).toContain(`${servers.tls.addr}/tests/app:single`);
    expect(error.message).toContain('NODE_EXTRA_CA_CERTS');
    expect(error.message).toContain(`/etc/docker/certs.d/${servers.tls.addr}/ca.crt`);
    expect(log.lines.filter((l) => l.includes(servers.tls.addr))).toEqual([]);
  });

  it('the CA in a certs.d folder (<root>/<host:port>/ca.crt): trusted', async () => {
    const registry = await createRegistry({ env, log, certsDir: certsDir(servers.tls.addr, servers.certificates.ca) });
    const found = await registry.image(`${servers.tls.addr}/tests/app:single`, amd64);
    expect(found.found && found.image.manifestDigest).toBe(seeded.amd64.manifest.digest);
  });

  it("the CA in Docker's own /etc/docker/certs.d/<host:port>/ca.crt (the default root): trusted", async () => {
    const dir = path.join('/etc/docker/certs.d', servers.tls.addr);
    if (existsSync(dir)) throw new Error(`${dir} exists already: this test will not overwrite it`);
    // Remove only what this test creates.
    const created = ['/etc/docker', '/etc/docker/certs.d', dir].filter((d) => !existsSync(d));
    mkdirSync(dir, { recursive: true });
    try {
      copyFileSync(servers.certificates.ca, path.join(dir, 'ca.crt'));
      const registry = await createRegistry({ env, log });
      expect((await registry.image(`${servers.tls.addr}/tests/app:single`, amd64)).found).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      for (const d of created.reverse()) rmSync(d, { recursive: true, force: true });
    }
  });

  describe('NODE_EXTRA_CA_CERTS (read by Node at start: a child process)', () => {
    let script: string;
    beforeAll(async () => {
      const dir = scratch('extra-ca');
      const entry = path.join(dir, 'entry.ts');
      writeFileSync(
        entry,
        `import { createRegistry } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../src/registry/client.ts'))};
const registry = await createRegistry({ env: process.env, retries: 0 });
try {
  const found = await registry.image(process.argv[2], { os: 'linux', architecture: 'amd64' });
  console.log(JSON.stringify({ found: found.found, digest: found.found ? found.image.manifestDigest : undefined }));
} catch (error) {
  console.log(JSON.stringify({ error: error.message }));
}
`,
      );
      script = path.join(dir, 'check.mjs');
      await build({
        entryPoints: [entry],
        outfile: script,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'silent',
      });
    });

    const run = async (extra: Record<string, string>) => {
      const { stdout } = await promisify(execFile)(process.execPath, [script, `${servers.tls.addr}/tests/app:single`], {
        env: { PATH: process.env.PATH, HOME: '/nonexistent', ...extra },
        timeout: 60_000,
      });
      return JSON.parse(stdout) as { found?: boolean; digest?: string; error?: string };
    };

    it('trusted through NODE_EXTRA_CA_CERTS alone', async () => {
      const answer = await run({ NODE_EXTRA_CA_CERTS: servers.certificates.ca, ISR_DOCKER_CERTS_D: scratch('certs-d-empty') });
      expect(answer).toEqual({ found: true, digest: seeded.amd64.manifest.digest });
    });

    it('still trusted when certs.d has another CA for the host (the agent keeps the extra CAs)', async () => {
      const other = makeCertificates('unrelated');
      const answer = await run({ NODE_EXTRA_CA_CERTS: servers.certificates.ca, ISR_DOCKER_CERTS_D: certsDir(servers.tls.addr, other.ca) });
      expect(answer).toEqual({ found: true, digest: seeded.amd64.manifest.digest });
      rmSync(other.dir, { recursive: true, force: true });
    });

    it('refused without it', async () => {
      const answer = await run({ ISR_DOCKER_CERTS_D: scratch('certs-d-empty') });
      expect(answer.error).toContain('NODE_EXTRA_CA_CERTS');
    });
  });
});

describe('a registry that does not answer', () => {
  it('is bounded: each attempt times out, the retries are logged, and the error says how long and how often', async () => {
    const lines = recordingLog();
    const registry = await createRegistry({ env, log: lines, timeoutMs: 300, retries: 2, retryMinMs: 20 });
    const error = await failure(registry.image(`${servers.silent.addr}/tests/app:single`, amd64));
    expect(error).toBeInstanceOf(EnvironmentError);
    expect(error.message).toContain(`${servers.silent.addr}/tests/app:single`);
    expect(error.message).toMatch(/does not answer: tried 3 times, each waiting up to 0\.3 s/);
    expect(lines.lines.filter((l) => l.includes('retrying'))).toHaveLength(2);
  });

  it('honours the AbortSignal: cancelled, not "does not answer"', async () => {
    const registry = await createRegistry({ env, log, timeoutMs: 60_000, retries: 5, retryMinMs: 1000 });
    const controller = new AbortController();
    const pending = registry.image(`${servers.silent.addr}/tests/app:single`, amd64, controller.signal);
    setTimeout(() => controller.abort(new Error('cancelled by the test')), 200);
    const error = await failure(pending);
    expect(error.message).toBe('cancelled by the test');
  });

  it('a port nothing listens on: retried, then the same bounded error', async () => {
    const registry = await createRegistry({ env, log, timeoutMs: 300, retries: 1, retryMinMs: 20 });
    const error = await failure(registry.image('127.0.0.1:5199/tests/app:single', amd64));
    expect(error.message).toMatch(/does not answer: tried 2 times.*ECONNREFUSED/);
  });
});
