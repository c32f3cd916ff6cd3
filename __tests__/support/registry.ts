// A real image registry on loopback (Debian's docker-registry, started by scripts/setup-registry.sh): push an
// image with the docker CLI (so DOCKER_HOST is honoured) and read back what the registry recorded.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const REGISTRY = process.env.REGISTRY_ADDR ?? '127.0.0.1:5000';
const SETUP = path.resolve(import.meta.dirname, '../../scripts/setup-registry.sh');
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** Installs and starts the registry when it is not answering (quick when it is). */
export function ensureRegistry(): void {
  execFileSync('bash', [SETUP], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 300_000,
    env: { ...process.env, REGISTRY_ADDR: REGISTRY },
  });
}

export interface RegistryLayer {
  digest: string;
  /** Bytes of the blob the registry stores: the compressed layer. */
  size: number;
  mediaType: string;
}

export interface PushedImage {
  repository: string;
  tag: string;
  /** `127.0.0.1:5000/<repository>:<tag>` */
  reference: string;
  manifestDigest: string;
  /** When the push was an index (the containerd image store's): its digest; `manifestDigest` is this platform's. */
  indexDigest?: string;
  configDigest: string;
  /** Oldest first, as in the manifest. */
  layers: RegistryLayer[];
}

/**
 * Pushes a local image as `<REGISTRY>/<repository>:<tag>` and returns what the registry recorded. The local
 * registry tag is removed again; the image stays under its own name.
 */
export async function pushImage(localRef: string, repository: string, tag: string): Promise<PushedImage> {
  const reference = `${REGISTRY}/${repository}:${tag}`;
  execFileSync('docker', ['tag', localRef, reference]);
  try {
    execFileSync('docker', ['push', '--quiet', reference], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
  } finally {
    execFileSync('docker', ['rmi', reference], { stdio: 'ignore' });
  }
  return { repository, tag, reference, ...(await readManifest(repository, tag)) };
}

/**
 * The image manifest of `<repository>:<tag>` (or of a digest) as the registry serves it. The containerd image store
 * pushes an index (a manifest list); its manifest for this machine's platform is the image's.
 */
export async function readManifest(repository: string, reference: string): Promise<Omit<PushedImage, 'repository' | 'tag' | 'reference'>> {
  const response = await fetch(`http://${REGISTRY}/v2/${repository}/manifests/${reference}`, {
    headers: { Accept: [DOCKER_MANIFEST, OCI_MANIFEST, DOCKER_LIST, OCI_INDEX].join(', ') },
  });
  if (!response.ok) throw new Error(`registry: GET manifest ${repository}:${reference}: HTTP ${response.status} ${await response.text()}`);
  const manifest = (await response.json()) as {
    mediaType?: string;
    config: { digest: string };
    layers: RegistryLayer[];
    manifests?: { digest: string; platform?: { os: string; architecture: string } }[];
  };
  const manifestDigest = response.headers.get('docker-content-digest');
  if (!manifestDigest) throw new Error(`registry: no Docker-Content-Digest for ${repository}:${reference}`);
  if (manifest.manifests) {
    const architecture = { x64: 'amd64', arm64: 'arm64' }[process.arch as string] ?? process.arch;
    const entry = manifest.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === architecture);
    if (!entry) throw new Error(`registry: the index of ${repository}:${reference} has no linux/${architecture} manifest`);
    const image = await readManifest(repository, entry.digest);
    return { ...image, indexDigest: manifestDigest };
  }
  return {
    manifestDigest,
    configDigest: manifest.config.digest,
    layers: manifest.layers.map(({ digest, size, mediaType }) => ({ digest, size, mediaType })),
  };
}

/**
 * Deletes what a push added to the repository: the manifest (and with it the tag) and the repository's links to
 * the config and layer blobs. The blob files stay on disk until the registry's garbage collection, which needs
 * the registry stopped; they are small and content-addressed, so a later push of the same layer reuses them.
 */
export async function deletePushed(image: PushedImage): Promise<void> {
  const remove = async (kind: 'manifests' | 'blobs', digest: string): Promise<void> => {
    const response = await fetch(`http://${REGISTRY}/v2/${image.repository}/${kind}/${digest}`, { method: 'DELETE' });
    if (!response.ok && response.status !== 404) {
      throw new Error(`registry: DELETE ${image.repository} ${kind} ${digest}: HTTP ${response.status} ${await response.text()}`);
    }
  };
  if (image.indexDigest) await remove('manifests', image.indexDigest);
  await remove('manifests', image.manifestDigest);
  for (const digest of new Set([image.configDigest, ...image.layers.map((layer) => layer.digest)])) await remove('blobs', digest);
}
