/**
 * What the rest of the code sees of a registry (the OCI distribution API): an image looked up by reference and
 * platform, and its layer blobs streamed. The client that talks to registries (client.ts) implements `Registry`;
 * measuring a registry baseline (measure/) uses only this interface.
 */
import type { Readable } from 'node:stream';

/** An image reference parsed as the docker CLI does (docker.io and library/ added, tag latest by default). */
export interface ImageReference {
  /** As the user wrote it. */
  text: string;
  /** `docker.io`, `ghcr.io`, `127.0.0.1:5000`, ... */
  registry: string;
  /** `library/python`, `acme/app` */
  repository: string;
  tag?: string;
  digest?: string;
}

/** `linux/arm64/v8` as parts. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface RegistryLayer {
  digest: string;
  mediaType: string;
  /** The blob's size as the manifest's descriptor gives it: what a pull downloads. */
  size: number;
}

export interface RegistryImage {
  reference: ImageReference;
  /** The digest of the platform's image manifest. */
  manifestDigest: string;
  /** When the reference named an index (manifest list): its digest. */
  indexDigest?: string;
  /** The platform the manifest is for (from the index entry, else from the config). */
  platform?: Platform;
  configDigest: string;
  /** The image config's bytes, their digest checked (history, rootfs.diff_ids). */
  config: Buffer;
  /** Oldest first, as in the manifest. */
  layers: RegistryLayer[];
}

/** A reference that does not exist (yet) is not an error: the next baseline source is tried. */
export type RegistryLookup = { found: true; image: RegistryImage } | { found: false; reason: string };

export interface Registry {
  /**
   * The image `reference` names, for `platform` when it names an index. Throws a user error (errors.ts) naming the
   * reference and what to fix when the registry refuses (which credential source was tried), the index lacks the
   * platform, or the registry does not answer in bounded time.
   */
  image(reference: string, platform: Platform, signal?: AbortSignal): Promise<RegistryLookup>;
  /** A layer's blob as the registry stores it (compressed), streamed; the stream errors if its digest does not match. */
  openBlob(image: RegistryImage, layer: RegistryLayer, signal?: AbortSignal): Promise<Readable>;
  /** The credentials and tokens it has used so far: for the scrubbing of everything written (secrets/). */
  secrets(): string[];
}
