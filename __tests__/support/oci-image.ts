// Small OCI images made without Docker, for the registry tests: layer tars (tar-stream) compressed with gzip
// (zlib), zstd (Debian's zstd CLI: Node 20's zlib has none) or not at all, a config with history and rootfs,
// and the manifest; an index of several such images.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export const OCI = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  tar: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

/** Docker's media types (what `docker push` of a graph-driver image sends): the manifest list, v2 manifest, gzip layer. */
export const DOCKER = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  list: 'application/vnd.docker.distribution.manifest.list.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface Blob {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

export interface Image {
  config: Blob;
  layers: (Blob & { diffId: string })[];
  manifest: Blob;
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function blob(bytes: Buffer, mediaType: string): Blob {
  return { bytes, digest: sha256(bytes), mediaType };
}

/** A tar of `files` (path → content), as a layer holds it. */
export async function layerTar(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const [name, content] of Object.entries(files)) {
    pack.entry({ name, mtime: new Date(0), mode: 0o644 }, content);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function compress(bytes: Buffer, how: 'gzip' | 'zstd' | 'none'): Buffer {
  if (how === 'gzip') return gzipSync(bytes);
  if (how === 'zstd') return execFileSync('zstd', ['-q', '-c', '-3'], { input: bytes, maxBuffer: 256 * 1024 * 1024 });
  return bytes;
}

export interface LayerSpec {
  files: Record<string, string | Buffer>;
  compression: 'gzip' | 'zstd' | 'none';
  createdBy: string;
}

export async function makeImage(
  platform: { os: string; architecture: string; variant?: string },
  layers: LayerSpec[],
  types: 'oci' | 'docker' = 'oci',
): Promise<Image> {
  const docker = types === 'docker';
  const made = [];
  for (const spec of layers) {
    const plain = await layerTar(spec.files);
    if (docker && spec.compression !== 'gzip') throw new Error("Docker's v2 manifests have gzip layers here");
    const mediaType = docker ? DOCKER.gzip : { gzip: OCI.gzip, zstd: OCI.zstd, none: OCI.tar }[spec.compression];
    made.push({ ...blob(compress(plain, spec.compression), mediaType), diffId: sha256(plain) });
  }
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant ? { variant: platform.variant } : {}),
        config: { Cmd: ['sh'] },
        rootfs: { type: 'layers', diff_ids: made.map((l) => l.diffId) },
        history: [...layers.map((l) => ({ created_by: l.createdBy })), { created_by: 'CMD ["sh"]', empty_layer: true }],
      }),
    ),
    docker ? DOCKER.config : OCI.config,
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: docker ? DOCKER.manifest : OCI.manifest,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.bytes.length },
        layers: made.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.bytes.length })),
      }),
    ),
    docker ? DOCKER.manifest : OCI.manifest,
  );
  return { config, layers: made, manifest };
}

export function makeIndex(
  entries: { image: Image; platform: { os: string; architecture: string; variant?: string } }[],
  types: 'oci' | 'docker' = 'oci',
): Blob {
  const mediaType = types === 'docker' ? DOCKER.list : OCI.index;
  return blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        manifests: entries.map(({ image, platform }) => ({
          mediaType: image.manifest.mediaType,
          digest: image.manifest.digest,
          size: image.manifest.bytes.length,
          platform,
        })),
      }),
    ),
    mediaType,
  );
}
