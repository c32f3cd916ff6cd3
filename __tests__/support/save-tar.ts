// Synthetic `docker save` archives, built with tar-stream, for the image analyzer's unit tests: the three layouts
// a daemon can produce (pre-25 `<v1 id>/layer.tar`, Docker 25+ OCI layout with uncompressed layers named by
// diff ID, and the containerd store's OCI layout with gzipped blobs), with the exact file names and order
// (sorted by name, so `manifest.json` comes after the layers) a real daemon uses.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';

type Headers = Partial<Header> & Pick<Header, 'name'>;

export type LayerEntrySpec =
  | { name: string; type?: 'file'; content: string | Buffer }
  | { name: string; type: 'directory' }
  | { name: string; type: 'symlink' | 'link'; linkname: string };

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** A tar of the given entries, in the given order. */
export async function makeTar(entries: (LayerEntrySpec | { header: Headers; body?: Buffer })[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of tar) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    if ('header' in entry) {
      await addEntry(tar, entry.header, entry.body);
    } else if (entry.type === 'directory') {
      await addEntry(tar, { name: entry.name, type: 'directory', mode: 0o755 });
    } else if (entry.type === 'symlink' || entry.type === 'link') {
      await addEntry(tar, { name: entry.name, type: entry.type, linkname: entry.linkname });
    } else if ('content' in entry) {
      await addEntry(tar, { name: entry.name, type: 'file', mode: 0o644 }, Buffer.from(entry.content));
    }
  }
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

function addEntry(tar: ReturnType<typeof pack>, header: Headers, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const mtime = new Date(0);
    if (body === undefined) tar.entry({ mtime, ...header }, (error) => (error ? reject(error) : resolve()));
    else tar.entry({ mtime, ...header }, body, (error) => (error ? reject(error) : resolve()));
  });
}

export interface HistoryEntry {
  created_by: string;
  empty_layer?: boolean;
}

/** `legacy`: before Docker 25. `oci`: Docker 25+ on a graph driver. `containerd`: the containerd image store. */
export type SaveFormat = 'legacy' | 'oci' | 'containerd';

export interface SyntheticImage {
  format: SaveFormat;
  /** Layer tars, oldest first; the same Buffer twice means the same layer twice. */
  layers: Buffer[];
  history: HistoryEntry[];
  /** Legacy only: save a repeated layer as a `layer.tar` symlink to its first copy, as Docker does. */
  symlinkRepeats?: boolean;
  /** Containerd store: the image is an index (as BuildKit makes it, with an attestation manifest) named by its digest. */
  imageIndex?: boolean;
  /** Leave these layers' tars out of the archive (a broken save). */
  omitLayers?: number[];
  /** Containerd store: keep these layers uncompressed, as `docker load` of an uncompressed save leaves them. */
  uncompressedLayers?: number[];
  /** The tag `docker load` gives it (default app:latest). */
  repoTag?: string;
}

export interface SyntheticSave {
  /** The ID the engine gives the image: the config's digest, or (containerd store) the manifest's. */
  imageId: string;
  /** As `RootFS.Layers` lists them. */
  diffIds: string[];
  /** `sha256:<config digest>`. */
  configDigest: string;
  /** Containerd store: each layer's stored size (gzipped, or the tar's where it is kept uncompressed), in layer order. */
  blobSizes: number[];
  tar: Buffer;
}

/** Build a save tar the way the daemon writes one. */
export async function makeSave(image: SyntheticImage): Promise<SyntheticSave> {
  const diffIds = image.layers.map((layer) => `sha256:${sha256(layer)}`);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/bin'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: image.history,
    }),
  );
  const configHex = sha256(config);
  const files = new Map<string, { header: Headers; body?: Buffer }>();
  const file = (name: string, body: Buffer | string) =>
    files.set(name, { header: { name, type: 'file', mode: 0o644 }, body: Buffer.from(body) });
  const dir = (name: string) => files.set(name, { header: { name, type: 'directory', mode: 0o755 } });
  let imageId = `sha256:${configHex}`;
  const blobSizes: number[] = [];
  const blobDigests: string[] = [];

  if (image.format === 'legacy') {
    const firstDirOf = new Map<string, string>();
    const layerDirs: string[] = [];
    let parent = '';
    image.layers.forEach((layer, index) => {
      const v1id = sha256(`${parent} ${diffIds[index]} ${index}`);
      parent = v1id;
      dir(`${v1id}/`);
      file(`${v1id}/VERSION`, '1.0');
      file(`${v1id}/json`, JSON.stringify({ id: v1id, created: '1970-01-01T00:00:00Z' }));
      const first = firstDirOf.get(diffIds[index]);
      if (first && image.symlinkRepeats) {
        const name = `${v1id}/layer.tar`;
        files.set(name, { header: { name, type: 'symlink', linkname: `../${first}/layer.tar` } });
      } else {
        file(`${v1id}/layer.tar`, layer);
        if (!first) firstDirOf.set(diffIds[index], v1id);
      }
      layerDirs.push(`${v1id}/layer.tar`);
    });
    file(`${configHex}.json`, config);
    const [repository, tag] = (image.repoTag ?? 'app:latest').split(/:(?=[^:/]+$)/);
    file('manifest.json', JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [image.repoTag ?? 'app:latest'], Layers: layerDirs }]));
    file('repositories', JSON.stringify({ [repository]: { [tag]: parent } }));
  } else {
    dir('blobs/');
    dir('blobs/sha256/');
    const gzipped = (index: number) => image.format === 'containerd' && !image.uncompressedLayers?.includes(index);
    const blobs = image.layers.map((layer, index) => (gzipped(index) ? gzipSync(layer, { level: 6 }) : layer));
    const descriptors = blobs.map((blob, index) => ({
      mediaType: gzipped(index) ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar',
      digest: `sha256:${sha256(blob)}`,
      size: blob.length,
    }));
    blobDigests.push(...blobs.map((blob) => sha256(blob)));
    blobs.forEach((blob) => {
      blobSizes.push(blob.length);
      file(`blobs/sha256/${sha256(blob)}`, blob);
    });
    file(`blobs/sha256/${configHex}`, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configHex}`, size: config.length },
        layers: descriptors,
      }),
    );
    const manifestHex = sha256(manifest);
    file(`blobs/sha256/${manifestHex}`, manifest);
    // the containerd store names an image by its manifest (or index), not by its config
    if (image.format === 'containerd') imageId = `sha256:${manifestHex}`;
    let manifestDescriptor = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${manifestHex}`,
      size: manifest.length,
    };
    if (image.imageIndex) {
      const statement = Buffer.from(
        JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'https://slsa.dev/provenance/v0.2' }),
      );
      const attestationConfig = Buffer.from(
        JSON.stringify({ architecture: 'unknown', os: 'unknown', rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(statement)}`] } }),
      );
      const attestation = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: `sha256:${sha256(attestationConfig)}`,
            size: attestationConfig.length,
          },
          layers: [{ mediaType: 'application/vnd.in-toto+json', digest: `sha256:${sha256(statement)}`, size: statement.length }],
        }),
      );
      for (const blob of [statement, attestationConfig, attestation]) file(`blobs/sha256/${sha256(blob)}`, blob);
      const index = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [
            { ...manifestDescriptor, platform: { architecture: 'amd64', os: 'linux' } },
            {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest: `sha256:${sha256(attestation)}`,
              size: attestation.length,
              annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
            },
          ],
        }),
      );
      file(`blobs/sha256/${sha256(index)}`, index);
      imageId = `sha256:${sha256(index)}`;
      manifestDescriptor = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: imageId, size: index.length };
    }
    file(
      'index.json',
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [manifestDescriptor] }),
    );
    file(
      'manifest.json',
      JSON.stringify([
        {
          Config: `blobs/sha256/${configHex}`,
          RepoTags: [image.repoTag ?? 'app:latest'],
          Layers: descriptors.map((d) => `blobs/sha256/${d.digest.slice(7)}`),
        },
      ]),
    );
    file('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }
  for (const index of image.omitLayers ?? []) {
    for (const name of files.keys()) {
      const body = files.get(name)!.body;
      if (name.endsWith('layer.tar') || name.startsWith('blobs/')) {
        if (body && (body.equals(image.layers[index]) || sha256(body) === blobDigests[index])) files.delete(name);
      }
    }
  }
  const sorted = [...files.keys()].sort();
  const tar = await makeTar(sorted.map((name) => files.get(name)!));
  return { imageId, diffIds, configDigest: `sha256:${configHex}`, blobSizes, tar };
}

/** `open` for analyzeImage: serves the tar in chunks of `chunkSize` bytes and counts how often it was opened. */
export function opener(tar: Buffer, chunkSize = 64 * 1024): { open: () => Promise<Readable>; opens: () => number } {
  let opens = 0;
  return {
    opens: () => opens,
    open: async () => {
      opens += 1;
      return Readable.from(chunksOf(tar, chunkSize), { objectMode: false });
    },
  };
}

function* chunksOf(data: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}
