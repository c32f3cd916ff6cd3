/**
 * Everything we report about an image's layers, from the layer cache and as few passes over `docker save` as
 * it takes: each layer's unpacked and compressed size, the instruction that made it, and the files in it (for
 * wasted space). This file decides what to read and keeps what was read: layers already measured (by diff ID,
 * with the compressed size of the push sizing asked for) are skipped; an image whose config and layers are all
 * known is not saved at all; a pre-25 layer of a known length is taken to be that layer, a wrong guess costing
 * a second pass; a listing lost from the cache is measured again. Reading the save stream, in each of its
 * formats, is save-reader.ts's.
 */
import type { Readable } from 'node:stream';
import { messageOf } from '../../errors.js';
import type { CompressedSizerOptions } from './compressed-size.js';
import { efficiencyOfSorted, LayerListingDamaged, type Efficiency } from './efficiency.js';
import { layerOrigins, type ImageConfig, type LayerOrigin } from './history.js';
import type { LayerCache, LayerSummary, PushedSize } from './layer-cache.js';
import type { PushSizing } from './push-sizing.js';
import { AnalysisError, readSave, sameIds, type ReadPlan, type SaveResult } from './save-reader.js';
import { ListingFileCursor } from './sorted-listing.js';

/** Thrown when the image cannot be analysed (its save is cut short or lacks the config or a layer). */
export { AnalysisError };

export interface AnalyzeRequest {
  /** `sha256:...`, the image ID (its config's digest). */
  imageId: string;
  /** The image's diff IDs as the engine lists them (`RootFS.Layers`). */
  diffIds: string[];
  /**
   * The image's `historyFingerprint`, when known: finds the config of an earlier build of the same content
   * (another image ID, because of the run's label), so that an image whose layers are all known is not saved.
   */
  historyKey?: string;
  /** Open `docker save` of the image (called at most twice). */
  open: () => Promise<Readable>;
  cache: LayerCache;
  /** Measure compressed sizes (the costly part). */
  compressed: boolean;
  /**
   * How a push from the engine compresses a layer (push-sizing.ts): by a model of Go's gzip, or (`asStored`, the
   * containerd image store) as the store keeps each blob. Default: Go up to 1.26 on a graph driver.
   */
  push?: Pick<PushSizing, 'model' | 'asStored' | 'cacheKey'>;
  /** Sizer tuning (part size, concurrency) for tests and benchmarks; the model comes from `push`. */
  sizer?: Omit<CompressedSizerOptions, 'model'>;
  /**
   * Cuts secrets (build-arg values) out of the history's instructions before the config is kept, in memory
   * or in the cache directory, and before it is returned.
   */
  redact?: (text: string) => string;
}

export interface AnalysedLayer extends LayerOrigin {
  tarBytes: number;
  unpackedBytes: number;
  compressedBytes?: number;
  /** The store keeps this layer uncompressed and a push uploads it so (`compressedBytes` is then `tarBytes`). */
  pushedUncompressed?: boolean;
  files: number;
}

export interface ImageAnalysis {
  layers: AnalysedLayer[];
  config: ImageConfig;
  unpackedBytes: number;
  compressedBytes?: number;
  efficiency: Efficiency;
  /** How the figures were obtained: layers measured now, layers known from the cache, save passes made. */
  work: { measured: number; cached: number; passes: number; savedBytesRead: number };
}

export async function analyzeImage(request: AnalyzeRequest): Promise<ImageAnalysis> {
  return analyze({ ...request, push: request.push ?? GRAPH_DRIVER_GO_1_26 }, true);
}

const GRAPH_DRIVER_GO_1_26 = { model: 'go1.26', asStored: false, cacheKey: 'go1.26' } as const;

/** A request with its way of sizing pushes settled. */
type SettledRequest = AnalyzeRequest & Required<Pick<AnalyzeRequest, 'push'>>;

/** The layer's pushed size the request asks for. */
const pushedOf = (request: SettledRequest, facts: LayerSummary | undefined): PushedSize | undefined =>
  facts?.pushed?.[request.push.cacheKey];

/** `retry`: whether a layer cache that lost a listing may be read again once. */
async function analyze(request: SettledRequest, retry: boolean): Promise<ImageAnalysis> {
  const { cache } = request;
  const usable = (facts: LayerSummary | undefined): facts is LayerSummary =>
    facts !== undefined && (!request.compressed || typeof pushedOf(request, facts)?.bytes === 'number');
  // a config is the image's only when it lists the image's layers (a damaged cache file is a miss)
  const ofThisImage = (candidate: ImageConfig | undefined) =>
    candidate && sameIds(candidate.rootfs?.diff_ids, request.diffIds) ? candidate : undefined;
  const { historyKey } = request;
  let config = ofThisImage(cache.config(request.imageId)) ?? (historyKey ? ofThisImage(cache.configByHistory(historyKey)) : undefined);
  const work = { measured: 0, cached: 0, passes: 0, savedBytesRead: 0 };
  const needed = () => request.diffIds.filter((d) => !usable(cache.layer(d)));

  for (let pass = 0; (!config || needed().length > 0) && pass < 2; pass += 1) {
    work.passes += 1;
    const plan: ReadPlan = {
      knownLayer: (diffId) => usable(cache.layer(diffId)),
      // into the cache at once: a measured layer's listing is not held until the end of the save
      keep: (facts) => cache.putLayer(facts),
      // first pass only: a pre-25 layer whose length matches exactly one known layer of this image is taken
      // to be that layer and only hashed; a wrong guess shows in the hash and costs a second pass
      guessBySize: pass === 0 ? guessBySize(request, cache, usable) : () => undefined,
    };
    let result: SaveResult;
    try {
      result = await readSave(await request.open(), request, plan);
    } catch (error) {
      if (error instanceof AnalysisError) throw error;
      throw new AnalysisError(`the saved image could not be read: ${messageOf(error)}`);
    }
    work.savedBytesRead += result.bytesRead;
    work.measured += result.measured;
    const found = ofThisImage(result.config);
    if (found) {
      config = keptPart(found, request.redact ?? ((text) => text));
      cache.putConfig(request.imageId, config);
      if (historyKey) cache.putConfigByHistory(historyKey, config);
    }
    if (!result.wrongGuess) break;
  }
  if (!config) throw new AnalysisError('the saved image has no image config that lists its layers');
  const origins = layerOrigins(config);
  const layers: AnalysedLayer[] = [];
  const listings: (string | undefined)[] = [];
  for (const origin of origins) {
    const facts = cache.layer(origin.diffId);
    if (!usable(facts)) throw new AnalysisError(`the saved image lacks layer ${origin.diffId}`);
    // (a stored blob's size comes free, and is given even when compressed sizes were not asked for)
    const pushed = pushedOf(request, facts);
    layers.push({
      ...origin,
      tarBytes: facts.tarBytes,
      unpackedBytes: facts.unpackedBytes,
      compressedBytes: pushed?.bytes,
      ...(pushed?.uncompressed ? { pushedUncompressed: true } : {}),
      files: facts.files,
    });
    listings.push(cache.listingFile(origin.diffId));
  }
  // wasted space: the layers' sorted listings merged from their files
  const lost = origins.filter((_, i) => listings[i] === undefined).map((o) => o.diffId);
  let efficiency: Efficiency | undefined;
  if (lost.length === 0) {
    try {
      efficiency = wasteOf(listings as string[]);
    } catch (error) {
      if (!(error instanceof LayerListingDamaged)) throw error;
      lost.push(origins[error.layer].diffId);
    }
  }
  if (lost.length > 0) {
    // listing files damaged or removed since their layers' facts were read: a cache miss, measured again
    for (const diffId of lost) cache.forget(diffId);
    if (retry) return analyze(request, false);
    throw new AnalysisError(`the file listing of layer ${lost[0]} could not be kept in the layer cache`);
  }
  work.cached = Math.max(0, layers.length - work.measured);
  const sum = (pick: (l: AnalysedLayer) => number) => layers.reduce((total, l) => total + pick(l), 0);
  return {
    layers,
    config,
    unpackedBytes: sum((l) => l.unpackedBytes),
    compressedBytes: request.compressed ? sum((l) => l.compressedBytes ?? 0) : undefined,
    efficiency: efficiency!,
    work,
  };
}

/**
 * What is kept of an image config: its layers and history, instructions redacted. The history records
 * build-arg values in clear text (`RUN |1 TOKEN=value ...`), and the cache directory may outlive the run.
 */
function keptPart(config: ImageConfig, redact: (text: string) => string): ImageConfig {
  return {
    rootfs: { diff_ids: config.rootfs?.diff_ids },
    ...(config.history
      ? { history: config.history.map((h) => (h.created_by === undefined ? h : { ...h, created_by: redact(h.created_by) })) }
      : {}),
  };
}

/**
 * Wasted space from the layers' listing files, oldest first; `LayerListingDamaged` names a file that fails.
 * Shared with measure/registry-image.ts.
 */
export function wasteOf(files: string[]): Efficiency {
  const cursors: ListingFileCursor[] = [];
  try {
    files.forEach((file, layer) => {
      try {
        cursors.push(new ListingFileCursor(file));
      } catch (error) {
        throw new LayerListingDamaged(layer, messageOf(error));
      }
    });
    return efficiencyOfSorted(cursors);
  } finally {
    for (const cursor of cursors) cursor.close();
  }
}

function guessBySize(
  request: SettledRequest,
  cache: LayerCache,
  usable: (facts: LayerSummary | undefined) => facts is LayerSummary,
): (tarBytes: number) => string | undefined {
  const bySize = new Map<number, Set<string>>();
  for (const diffId of request.diffIds) {
    const facts = cache.layer(diffId);
    if (!usable(facts)) continue;
    bySize.set(facts.tarBytes, (bySize.get(facts.tarBytes) ?? new Set()).add(diffId));
  }
  return (tarBytes) => {
    const candidates = bySize.get(tarBytes);
    return candidates?.size === 1 ? [...candidates][0] : undefined;
  };
}
