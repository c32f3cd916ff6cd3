/**
 * Bench helpers (not part of the tool): the engine the bench runs on, described for RESULTS.md; whether
 * `docker buildx build` can be compared with the tool there; BuildKit build-cache records, so that a cold
 * repetition's can be removed after it; and the layer tars of an image, uncompressed whatever the image store.
 */
import { createReadStream, createWriteStream, openSync, readFileSync, readSync, closeSync, realpathSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { output, run } from './proc.js';

export interface BuildxBuilder {
  /** `docker buildx version`'s version, e.g. 0.29.1+ds1. */
  version: string;
  /** The engine's own builder (the docker driver's, named after the context), passed as `--builder`. */
  name: string;
  driver: string;
  /** As `docker buildx inspect` says (the engine's BuildKit; `v0.0.0+unknown` for distribution builds). */
  buildkit?: string;
}

export interface EngineDescription {
  /** Where the bench talks to the engine: DOCKER_HOST, or the default socket. */
  dockerHost: string;
  fromEnvironment: boolean;
  /** The engine of the test matrix (__tests__/engines.json) that listens there, if any. */
  matrixName?: string;
  context?: string;
  serverVersion: string;
  apiVersion: string;
  goVersion?: string;
  clientVersion?: string;
  /** `docker info`'s Driver: overlay2 on a graph driver, the snapshotter (overlayfs) on the containerd store. */
  storageDriver: string;
  containerdStore: boolean;
  /** In words, for RESULTS.md. */
  imageStore: string;
  /** The builder `docker buildx build` is compared on, or why there is none. */
  buildx?: BuildxBuilder;
  noBuildx?: string;
}

const DEFAULT_HOST = 'unix:///var/run/docker.sock';

export async function describeEngine(root: string): Promise<EngineDescription> {
  const version = JSON.parse((await run('docker', ['version', '--format', '{{json .}}'])).stdout) as {
    Client?: { Version?: string };
    Server?: { Version: string; ApiVersion: string; GoVersion?: string };
  };
  const info = JSON.parse((await run('docker', ['info', '--format', '{{json .}}'])).stdout) as {
    Driver?: string;
    DriverStatus?: [string, string][];
  };
  const server = version.Server;
  if (!server) throw new Error('docker version gave no server part: the engine does not answer');
  const snapshotter = (info.DriverStatus ?? []).find(([key]) => key === 'driver-type')?.[1];
  const containerdStore = snapshotter?.startsWith('io.containerd.snapshotter') ?? false;
  const storageDriver = info.Driver ?? 'unknown';
  const dockerHost = process.env.DOCKER_HOST || DEFAULT_HOST;
  const context = output('docker', ['context', 'show']);
  const buildx = await buildxBuilder(context ?? 'default');
  return {
    dockerHost,
    fromEnvironment: Boolean(process.env.DOCKER_HOST),
    matrixName: matrixEngine(root, dockerHost),
    context,
    serverVersion: server.Version,
    apiVersion: server.ApiVersion,
    goVersion: server.GoVersion,
    clientVersion: version.Client?.Version,
    storageDriver,
    containerdStore,
    imageStore: containerdStore ? `the containerd image store (snapshotter ${storageDriver})` : `the ${storageDriver} graph driver`,
    ...('name' in buildx ? { buildx } : { noBuildx: buildx.reason }),
  };
}

function matrixEngine(root: string, host: string): string | undefined {
  try {
    const matrix = JSON.parse(readFileSync(path.join(root, '__tests__', 'engines.json'), 'utf8')) as {
      engines: { name: string; host: string }[];
    };
    return matrix.engines.find((e) => e.host === host)?.name;
  } catch {
    return undefined;
  }
}

/**
 * The engine's own builder, for `docker buildx build`: the docker driver's builder of the current context (it
 * builds with the engine's BuildKit, in the engine's build cache, into the engine's image store: the same
 * engine and cache as the tool's BuildKit builds). A docker-container builder would be another BuildKit with
 * a cache of its own, so it is not used even when it is the selected one.
 */
async function buildxBuilder(context: string): Promise<BuildxBuilder | { reason: string }> {
  const version = await run('docker', ['buildx', 'version'], { allowFail: true });
  if (version.code !== 0) return { reason: 'this Docker CLI has no buildx plugin (`docker buildx version` fails)' };
  const versionText = version.stdout.trim().split(/\s+/)[1] ?? version.stdout.trim();
  const inspect = await run('docker', ['buildx', 'inspect', context], { allowFail: true });
  if (inspect.code !== 0) return { reason: `\`docker buildx inspect ${context}\` fails: ${inspect.stderr.trim().split('\n').pop()}` };
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(inspect.stdout)?.[1]?.trim();
  const driver = field('Driver') ?? 'unknown';
  if (driver !== 'docker') return { reason: `the builder \`${context}\` has the ${driver} driver, not the engine's own (docker)` };
  return { version: versionText, name: context, driver, buildkit: field('BuildKit version') };
}

// ---------------------------------------------------------------------------------------------------------
// BuildKit's build cache

/** The IDs of the build-cache records of the engine's BuildKit (`docker buildx du`). */
export async function buildCacheIds(builder: string): Promise<Set<string>> {
  const r = await run('docker', ['buildx', 'du', '--builder', builder, '--format', 'json']);
  const ids = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    const record = JSON.parse(line) as { ID?: string };
    if (record.ID) ids.add(record.ID);
  }
  return ids;
}

/**
 * Remove the build-cache records that were not there `before` (what a cold build left, as the legacy builder's
 * step images are removed after a cold repetition). Resolves with how many were new and how many of them are
 * still there (records in use stay; a failed prune leaves them all, and says why).
 */
export async function removeNewBuildCache(builder: string, before: Set<string>): Promise<{ added: number; left: number; error?: string }> {
  const fresh = [...(await buildCacheIds(builder))].filter((id) => !before.has(id));
  if (fresh.length === 0) return { added: 0, left: 0 };
  let error: string | undefined;
  // one filter, a regular expression over the IDs: `docker buildx prune` refuses a key given twice
  // ("filters expect only one value"); IDs are letters and digits
  for (let i = 0; i < fresh.length; i += 100) {
    const ids = fresh.slice(i, i + 100).filter((id) => /^[a-z0-9]+$/i.test(id));
    if (ids.length === 0) continue;
    const r = await run('docker', ['buildx', 'prune', '--builder', builder, '--force', '--filter', `id~=^(${ids.join('|')})$`], {
      allowFail: true,
    });
    if (r.code !== 0) error = r.stderr.trim().split('\n').pop();
  }
  const after = await buildCacheIds(builder);
  return { added: fresh.length, left: fresh.filter((id) => after.has(id)).length, ...(error ? { error } : {}) };
}

// ---------------------------------------------------------------------------------------------------------
// layer tars of an image

export interface LayerTar {
  /** An uncompressed layer tar on disk. */
  file: string;
  bytes: number;
  /** How `docker save` held it: an uncompressed tar (graph drivers), or a gzipped blob (the containerd store). */
  saved: 'tar' | 'gzip';
  savedBytes: number;
}

/**
 * `docker save IMAGE | tar -x -C DIR`, then the image's distinct layers in order as uncompressed tars: a graph
 * driver's save holds them so; the containerd store's holds its blobs as stored, usually gzipped, which are
 * unzipped here (untimed) so that gzip and the sizer read the same layer tars on every store.
 */
export async function saveLayerTars(image: string, dir: string): Promise<{ saveMs: number; layers: LayerTar[] }> {
  const save = await run('bash', ['-c', 'set -o pipefail; docker save "$1" | tar -x -C "$2"', 'bench', image, dir]);
  const manifest = (JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { Layers: string[] }[])[0];
  const seen = new Set<string>();
  const layers: LayerTar[] = [];
  for (const relative of manifest.Layers) {
    const file = realpathSync(path.join(dir, relative)); // the same layer twice is one file (a symlink before Docker 25)
    if (seen.has(file)) continue;
    seen.add(file);
    const savedBytes = statSync(file).size;
    if (isGzip(file)) {
      const tar = `${file}.tar`;
      await pipeline(createReadStream(file), createGunzip(), createWriteStream(tar));
      rmSync(file);
      layers.push({ file: tar, bytes: statSync(tar).size, saved: 'gzip', savedBytes });
    } else {
      layers.push({ file, bytes: savedBytes, saved: 'tar', savedBytes });
    }
  }
  return { saveMs: save.ms, layers };
}

function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}
