/**
 * Measuring a published image as a base, from its registry over the OCI distribution API (registry/types.ts),
 * without pulling it into the engine and without building: the result means exactly what a rebuilt base means.
 *
 * - The image config's history gives each layer its instruction (history.ts), `rootfs.diff_ids` its diff ID.
 * - A layer whose diff ID the layer cache knows (with its listing) is not downloaded: the base branch shares
 *   most layers with the change, measured a moment before. Any other layer's blob is streamed, decompressed
 *   (gzip, zstd, or a tar as it is) and run through the same per-layer analysis as a saved image's layers
 *   (save-reader.ts `measureLayer`: its diff ID checked, unpacked size, listing for wasted space). Nothing is
 *   buffered but the decompressor's window and a bounded part of the listing.
 * - Compressed sizes are the registry's own: each layer's descriptor size, what a pull downloads.
 * - No build ran: `buildMs`, `steps` and `cachedSteps` are absent, which the report shows as not applicable.
 * - Which layers are the FROM image's: the base commit's Dockerfile is not read, so they are known only when this
 *   change's FROM image (its first `baseImageLayers` layers) is also the published image's first layers
 *   (`withBaseImageOf`); otherwise `baseImageLayers` is absent and `fromBaseImage` false, as for a built image
 *   whose FROM image is not known.
 */
import { messageOf } from '../errors.js';
import type { Platform, Registry, RegistryImage } from '../registry/types.js';
import type { BuiltResult, LayerDetail } from '../report/types.js';
import { redact } from '../secrets/redact.js';
import { wasteOf } from './image/analyze.js';
import { blobKind, decompressed, peek } from './image/decompress.js';
import { describeInstruction, layerOrigins, type ImageConfig } from './image/history.js';
import type { LayerCache } from './image/layer-cache.js';
import { AnalysisError, measureLayer } from './image/save-reader.js';

export interface RegistryBaseRequest {
  registry: Registry;
  reference: string;
  platform: Platform;
  cache: LayerCache;
  /** Build-arg values: the published image's history may record them as this change's build records them. */
  secrets: string[];
  signal?: AbortSignal;
}

export type RegistryBase =
  | { found: true; image: RegistryImage; result: BuiltResult; work: { measured: number; cached: number; blobBytes: number } }
  | { found: false; reason: string };

/** Bytes to look at before telling a blob's kind (a tar's `ustar` magic is at 257). */
const TAR_PROBE = 512;

/**
 * The image `reference` names for `platform`, measured. `found: false` when the reference does not exist (the
 * next source is tried). Throws the registry's user errors (unauthorized, platform missing, no answer) and an
 * AnalysisError when the image's blobs do not make the layers its config lists.
 */
export async function measureRegistryImage(request: RegistryBaseRequest): Promise<RegistryBase> {
  const { registry, cache, signal } = request;
  const lookup = await registry.image(request.reference, request.platform, signal);
  if (!lookup.found) return lookup;
  const { image } = lookup;
  let config: ImageConfig;
  try {
    config = JSON.parse(image.config.toString('utf8')) as ImageConfig;
  } catch (error) {
    throw new AnalysisError(`the image config of ${request.reference} is not JSON (${messageOf(error)})`);
  }
  const diffIds = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.length !== image.layers.length || !diffIds.every((d) => typeof d === 'string')) {
    throw new AnalysisError(
      `the image config of ${request.reference} lists ${Array.isArray(diffIds) ? diffIds.length : 'no'} layers and its manifest ${image.layers.length}`,
    );
  }
  const work = { measured: 0, cached: 0, blobBytes: 0 };
  const known = (diffId: string) => cache.layer(diffId) !== undefined && cache.listingFile(diffId) !== undefined;
  for (const [index, layer] of image.layers.entries()) {
    const diffId = diffIds[index];
    if (known(diffId)) {
      work.cached += 1;
      continue;
    }
    const blob = await registry.openBlob(image, layer, signal);
    try {
      const { head, all } = await peek(countBytes(blob, work), TAR_PROBE);
      const kind = blobKind(head);
      if (kind === 'other') throw new AnalysisError(`layer ${layer.digest} (${layer.mediaType}) is neither gzip, zstd nor a tar`);
      // no compressed size is modelled: the registry's descriptor gives it
      const facts = await measureLayer(decompressed(all, kind), undefined, { compress: false, cacheKey: 'registry', listInto: cache });
      if (facts.diffId !== diffId) {
        facts.listing?.abort();
        throw new AnalysisError(`layer ${layer.digest} unpacks to ${facts.diffId}, not to ${diffId} as the image config says`);
      }
      cache.putLayer(facts);
      work.measured += 1;
    } finally {
      blob.destroy();
    }
  }
  return { found: true, image, result: builtResult(image, config, cache, request.secrets), work };
}

function countBytes(source: AsyncIterable<Buffer>, work: { blobBytes: number }): AsyncIterable<Buffer> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const chunk of source) {
        work.blobBytes += chunk.length;
        yield chunk;
      }
    },
  };
}

function builtResult(image: RegistryImage, config: ImageConfig, cache: LayerCache, secrets: string[]): BuiltResult {
  const origins = layerOrigins(config);
  const layerDetails: LayerDetail[] = origins.map((origin, index) => {
    const facts = cache.layer(origin.diffId);
    if (!facts) throw new AnalysisError(`layer ${origin.diffId} was not measured`);
    return {
      diffId: origin.diffId,
      instruction: describeInstruction(redact(origin.createdBy, secrets)),
      sizeBytes: facts.unpackedBytes,
      compressedBytes: image.layers[index].size,
      fromBaseImage: false,
    };
  });
  const listings = origins.map((o) => cache.listingFile(o.diffId));
  const missing = origins.findIndex((_, i) => listings[i] === undefined);
  if (missing !== -1) throw new AnalysisError(`the file listing of layer ${origins[missing].diffId} was not kept`);
  const efficiency = wasteOf(listings as string[]);
  const sum = (pick: (l: LayerDetail) => number) => layerDetails.reduce((total, l) => total + pick(l), 0);
  return {
    status: 'built',
    imageId: image.configDigest,
    sizeBytes: sum((l) => l.sizeBytes),
    compressedBytes: sum((l) => l.compressedBytes ?? 0),
    layers: layerDetails.length,
    contentLayers: layerDetails.filter((l) => l.sizeBytes > 0).length,
    layerDetails,
    efficiency: { score: efficiency.score, wastedBytes: efficiency.wastedBytes, topWasted: efficiency.topWasted.slice(0, 5) },
  };
}

/**
 * A layer present on both sides (same diff ID) counts one compressed size on both, so that the change column
 * shows only the layers that changed. This change's figure wins: it is what a push from this engine uploads
 * (a registry may hold the same layer compressed otherwise, e.g. by another Go's gzip), and this change's
 * numbers (and its budgets) then do not depend on where the base came from. The base's total is summed again.
 */
export function alignSharedLayers(base: BuiltResult, head: BuiltResult): BuiltResult {
  if (!base.layerDetails || !head.layerDetails) return base;
  const headSizes = new Map(head.layerDetails.filter((l) => l.compressedBytes !== undefined).map((l) => [l.diffId, l.compressedBytes!]));
  if (headSizes.size === 0) return base;
  const layerDetails = base.layerDetails.map((l) => {
    const same = headSizes.get(l.diffId);
    return same === undefined || same === l.compressedBytes ? l : { ...l, compressedBytes: same };
  });
  const compressedBytes = layerDetails.reduce((total, l) => total + (l.compressedBytes ?? 0), 0);
  return { ...base, layerDetails, compressedBytes };
}

/**
 * The published image's FROM-image layers, when they can be known: this change's FROM image is the first
 * `baseImageLayers` layers of this change's image, and when the published image starts with the same diff IDs
 * (content-addressed: the same layers), they are its FROM image's too. A FROM image that changed (a new digest of
 * `python:3.12-slim`) leaves the registry base's split unknown rather than guessed.
 */
export function withBaseImageOf(base: BuiltResult, head: BuiltResult): BuiltResult {
  const count = head.baseImageLayers;
  if (count === undefined || !base.layerDetails || !head.layerDetails || base.layerDetails.length < count) return base;
  if (!head.layerDetails.slice(0, count).every((l, i) => base.layerDetails![i].diffId === l.diffId)) return base;
  return {
    ...base,
    baseImageLayers: count,
    layerDetails: base.layerDetails.map((l, i) => ({ ...l, fromBaseImage: i < count })),
  };
}
