// What the registry client's tests share: a log that keeps its lines, docker CLI config folders and credential
// helpers written to temp dirs, and the images the tests upload.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../src/log.js';
import { makeImage, makeIndex, type Image } from './oci-image.js';
import { putManifest, pushImage } from './registries.js';
import { tempDir } from './workspace.js';

const scratchDirs: string[] = [];

/** A temp dir removed by `removeScratch` (each test file's afterAll). */
export function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  scratchDirs.push(dir);
  return dir;
}

export function removeScratch(): void {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warning: (m) => lines.push(m),
    group: (_title, fn) => fn(),
    buildLine: (m) => lines.push(m),
  };
}

/** A DOCKER_CONFIG folder holding `config` as config.json. */
export function dockerConfig(config: object): string {
  const dir = scratch('docker-config');
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

export const basicAuth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

/**
 * A folder with `docker-credential-NAME`, a shell script speaking the helper protocol: `get` reads the server on
 * stdin and prints {ServerURL, Username, Secret} for the servers it knows, else "credentials not found" (exit 1).
 * Each call appends the server it was asked for to `calls`.
 */
export function credentialHelper(
  name: string,
  known: Record<string, { Username: string; Secret: string }>,
): { dir: string; calls: string } {
  const dir = scratch('cred-helper');
  const calls = path.join(dir, 'calls');
  const cases = Object.entries(known)
    .map(([server, c]) => `  ${JSON.stringify(server)}) printf '%s' ${shellQuote(JSON.stringify({ ServerURL: server, ...c }))} ;;`)
    .join('\n');
  const script = path.join(dir, `docker-credential-${name}`);
  writeFileSync(
    script,
    `#!/bin/sh
[ "$1" = get ] || { echo "unsupported: $1" >&2; exit 2; }
read -r server
printf '%s\\n' "$server" >>${shellQuote(calls)}
case "$server" in
${cases}
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`,
  );
  chmodSync(script, 0o755);
  mkdirSync(path.join(dir, 'empty'), { recursive: true });
  return { dir, calls };
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export interface Seeded {
  amd64: Image;
  arm64: Image;
}

/** `tests/app:single` (amd64: a gzip, a zstd and an uncompressed layer), `tests/app:multi` (index: amd64, arm64/v8). */
export async function seedImages(addr: string): Promise<Seeded> {
  const amd64 = await makeImage({ os: 'linux', architecture: 'amd64' }, [
    { files: { 'etc/a.txt': 'a'.repeat(5000) }, compression: 'gzip', createdBy: 'COPY a.txt /etc/' },
    { files: { 'etc/b.txt': 'b'.repeat(3000) }, compression: 'zstd', createdBy: 'COPY b.txt /etc/' },
    { files: { 'etc/c.txt': 'c' }, compression: 'none', createdBy: 'COPY c.txt /etc/' },
  ]);
  const arm64 = await makeImage({ os: 'linux', architecture: 'arm64', variant: 'v8' }, [
    { files: { 'etc/a.txt': 'arm'.repeat(100) }, compression: 'gzip', createdBy: 'COPY a.txt /etc/' },
  ]);
  await pushImage(addr, 'tests/app', amd64, 'single');
  await pushImage(addr, 'tests/app', arm64);
  const index = makeIndex([
    { image: amd64, platform: { os: 'linux', architecture: 'amd64' } },
    { image: arm64, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ]);
  await putManifest(addr, 'tests/app', 'multi', index);
  return { amd64, arm64 };
}
