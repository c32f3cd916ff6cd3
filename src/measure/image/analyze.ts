/**
 * Everything we report about an image's layers, from one streaming pass over `docker save`: each layer's
 * unpacked and compressed size, the instruction that made it, and the files in it (for wasted space).
 *
 * The save tar is read entry by entry and each layer flows through a hash, a tar lister and the compressed
 * sizer at once; nothing is buffered but small JSON files and a bounded part of a layer's file listing, and
 * nothing of the image is written to disk (only the listing, sorted, for wasted space). Layers already
 * measured (by diff ID) are skipped; an image whose config and layers are all known is not saved at all.
 *
 * Save formats: before Docker 25, `<v1 id>/layer.tar` (+ `<image id>.json` config, `manifest.json`); from
 * Docker 25, an OCI layout (`blobs/sha256/<digest>`, `index.json`, `manifest.json`), where a graph-driver
 * store writes uncompressed layers named by diff ID and the containerd store writes its compressed blobs
 * (and names the image by its manifest or index, so the config is found through them, or by its layers).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { messageOf } from '../../errors.js';
import { CompressedSizer, type CompressedSizerOptions } from './compressed-size.js';
import { efficiencyOfSorted, LayerListingDamaged, type Efficiency } from './efficiency.js';
import { layerOrigins, type ImageConfig, type LayerOrigin } from './history.js';
import type { LayerCache, LayerFacts, LayerSummary, PushedSize } from './layer-cache.js';
import { LayerLister } from './layer-listing.js';
import type { PushSizing } from './push-sizing.js';
import { ListingFileCursor } from './sorted-listing.js';

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

export class AnalysisError extends Error {}

export async function analyzeImage(request: AnalyzeRequest): Promise<ImageAnalysis> {
  return analyze({ ...request, push: request.push ?? GRAPH_DRIVER_GO_1_26 }, true);
}

const GRAPH_DRIVER_GO_1_26 = { model: 'go1.26', asStored: false, cacheKey: 'go1.26' } as const;

/** A request with its way of sizing pushes settled. */
type SettledRequest = AnalyzeRequest & Required<Pick<AnalyzeRequest, 'push'>>;

/** The layer's pushed size the request asks for. */
const pushedOf = (request: SettledRequest, facts: LayerSummary | undefined): PushedSize | undefined => facts?.pushed?.[request.push.cacheKey];

/** `retry`: whether a layer cache that lost a listing may be read again once. */
async function analyze(request: SettledRequest, retry: boolean): Promise<ImageAnalysis> {
  const { cache } = request;
  const usable = (facts: LayerSummary | undefined): facts is LayerSummary =>
    facts !== undefined && (!request.compressed || typeof pushedOf(request, facts)?.bytes === 'number');
  // a config is the image's only when it lists the image's layers (a damaged cache file is a miss)
  const ofThisImage = (candidate: ImageConfig | undefined) => (candidate && sameIds(candidate.rootfs?.diff_ids, request.diffIds) ? candidate : undefined);
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

/** Wasted space from the layers' listing files, oldest first; `LayerListingDamaged` names a file that fails. */
function wasteOf(files: string[]): Efficiency {
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

interface SaveResult {
  config?: ImageConfig;
  /** Layers measured (and handed to `ReadPlan.keep`). */
  measured: number;
  bytesRead: number;
  wrongGuess: boolean;
}

interface ReadPlan {
  knownLayer(diffId: string): boolean;
  keep(facts: LayerFacts): void;
  guessBySize(tarBytes: number): string | undefined;
}

/** The small JSON documents of a save, by digest: image configs and (OCI layout) manifests and indexes. */
type Documents = Map<string, unknown>;

const JSON_LIMIT = 64 * 1024 * 1024;
/** Bytes to look at before telling a blob's kind: a tar header's `ustar` magic is at 257. */
const SNIFF_BYTES = 512;

type Entry = AsyncIterable<Buffer> & { resume(): void };

async function readSave(stream: Readable, request: SettledRequest, plan: ReadPlan): Promise<SaveResult> {
  const result: SaveResult = { measured: 0, bytesRead: 0, wrongGuess: false };
  const keep = (facts: LayerFacts) => keepLayer(facts, plan, result);
  const documents: Documents = new Map();
  const archive = extract();
  stream.on('error', (error) => archive.destroy(error));
  stream.pipe(archive);
  try {
    for await (const raw of archive) {
      const entry = raw as typeof raw & Entry;
      const { header } = entry;
      const name = header.name.replace(/^\.?\//, '');
      const size = header.size ?? 0;
      result.bytesRead += size;
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        // a pre-25 `layer.tar` symlink points at a layer saved under another ID: same diff ID, measured there
        entry.resume();
        continue;
      }
      const legacyConfig = /^([0-9a-f]{64})\.json$/.exec(name);
      if (legacyConfig) {
        // pre-25: the image config, named by its digest (the image ID on a graph driver)
        await readDocument(entry, size, `sha256:${legacyConfig[1]}`, documents);
      } else if (name.endsWith('/layer.tar')) {
        // before Docker 25: a graph driver's layer, gzipped on push
        const guess = plan.guessBySize(size);
        const facts = await measureLayer(entry, size, { ...tarSizing(request, false), compress: request.compressed && !guess, listInto: guess ? undefined : request.cache });
        if (guess && facts.diffId !== guess) result.wrongGuess = true;
        else if (!guess) keep(facts);
      } else if (name.startsWith('blobs/sha256/')) {
        const digest = `sha256:${name.slice('blobs/sha256/'.length)}`;
        if (request.diffIds.includes(digest)) {
          // an uncompressed layer, named by its diff ID: a graph driver's (Docker 25+), or one the containerd store keeps uncompressed
          if (plan.knownLayer(digest)) entry.resume();
          else keep(await measureLayer(entry, size, { ...tarSizing(request, true), listInto: request.cache }));
        } else {
          await readBlob(entry, size, digest, request, plan, result, documents);
        }
      } else {
        entry.resume();
      }
    }
  } finally {
    stream.destroy();
  }
  result.config = configOf(request.imageId, documents, request.diffIds);
  return result;
}

/**
 * How an uncompressed layer tar of the save is sized: a graph driver gzips it on push (the model); the containerd
 * store pushes a blob it keeps uncompressed as it is (its length). `stored`: the tar is the store's own blob.
 */
function tarSizing(request: SettledRequest, stored: boolean): Pick<MeasureOptions, 'compress' | 'pushedAsIs' | 'sizer' | 'cacheKey'> {
  const asIs = stored && request.push.asStored;
  return {
    compress: request.compressed && !asIs,
    pushedAsIs: request.compressed && asIs,
    sizer: { ...request.sizer, model: request.push.model },
    cacheKey: request.push.cacheKey,
  };
}

function keepLayer(facts: LayerFacts, plan: ReadPlan, result: SaveResult): void {
  result.measured += 1;
  plan.keep(facts);
}

/**
 * The image's config among the save's documents. The image ID names the config on a graph driver, and the
 * manifest (or the index) on the containerd store; failing both, the one config that lists these layers.
 */
function configOf(imageId: string, documents: Documents, diffIds: string[], depth = 0): ImageConfig | undefined {
  const document = documents.get(imageId) as
    | (ImageConfig & { config?: { digest?: string }; manifests?: { digest?: string }[] })
    | undefined;
  if (document?.rootfs && sameIds(document.rootfs.diff_ids, diffIds)) return document;
  if (depth < 3) {
    const manifests = Array.isArray(document?.manifests) ? document.manifests : [];
    const next = [document?.config?.digest, ...manifests.map((m) => m?.digest)];
    for (const digest of next) {
      const found = digest ? configOf(digest, documents, diffIds, depth + 1) : undefined;
      if (found) return found;
    }
  }
  if (depth > 0) return undefined;
  const configs = [...documents.values()].filter((d): d is ImageConfig => sameIds((d as ImageConfig).rootfs?.diff_ids, diffIds));
  return configs.length === 1 ? configs[0] : undefined;
}

function sameIds(a: unknown, b: string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((id, i) => id === b[i]);
}

/** Keep a small JSON document by digest; anything else (too large, not JSON) is passed over. */
async function readDocument(source: AsyncIterable<Buffer>, size: number, digest: string, documents: Documents): Promise<void> {
  if (size > JSON_LIMIT) {
    for await (const _ of source); // not a document we need
    return;
  }
  try {
    const value: unknown = JSON.parse((await readAll(source, JSON_LIMIT)).toString('utf8'));
    if (value !== null && typeof value === 'object') documents.set(digest, value);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
}

/** A blob that is not named by a diff ID: a compressed layer (containerd store), a config, a manifest or index, or other. */
async function readBlob(
  entry: Entry,
  size: number,
  digest: string,
  request: SettledRequest,
  plan: ReadPlan,
  result: SaveResult,
  documents: Documents,
): Promise<void> {
  // the first bytes tell the kind; a chunk may be as short as one byte, so gather enough of them first
  const iterator = entry[Symbol.asyncIterator]();
  const gathered: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    gathered.push(next.value);
    length += next.value.length;
  }
  if (length === 0) return;
  const head = Buffer.concat(gathered);
  const rest: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      yield head;
      if (ended) return;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    },
  };
  if (head[0] === 0x1f && head[1] === 0x8b) {
    // gzipped layer: its compressed size is the blob's; its diff ID is the digest of what it unzips to
    const gunzip = createGunzip();
    const feeding = (async () => {
      for await (const chunk of rest) if (!gunzip.write(chunk)) await once(gunzip, 'drain');
      gunzip.end();
    })();
    // a save stream cut short ends the layer inside gzip: the unzipped stream must fail too, not wait
    feeding.catch((error: unknown) => gunzip.destroy(error instanceof Error ? error : new Error(String(error))));
    const [facts] = await Promise.all([measureLayer(gunzip, undefined, { compress: false, cacheKey: request.push.cacheKey, listInto: request.cache }), feeding]);
    if (request.diffIds.includes(facts.diffId) && !plan.knownLayer(facts.diffId)) {
      keepLayer({ ...facts, pushed: { [request.push.cacheKey]: { bytes: size } } }, plan, result);
    } else {
      facts.listing?.abort();
    }
  } else if (head.length > 262 && head.subarray(257, 262).toString('latin1') === 'ustar') {
    const facts = await measureLayer(rest, size, { ...tarSizing(request, true), listInto: request.cache });
    if (request.diffIds.includes(facts.diffId)) keepLayer(facts, plan, result);
    else facts.listing?.abort();
  } else if (head[0] === 0x7b /* { */) {
    await readDocument(rest, size, digest, documents);
  } else {
    for await (const _ of rest); // other blobs: not needed
  }
}

interface MeasureOptions {
  /** Model the gzip a push would make of it. */
  compress: boolean;
  /** Or: a push uploads the tar as it is. */
  pushedAsIs?: boolean;
  sizer?: CompressedSizerOptions;
  /** Where in `LayerFacts.pushed` the compressed size goes. */
  cacheKey: string;
  /** Where the layer's listing is written (none: the layer is only hashed and counted). */
  listInto?: LayerCache;
}

/** One pass over a layer tar: its digest, and as asked its listing and compressed size. */
async function measureLayer(source: AsyncIterable<Buffer>, declaredBytes: number | undefined, options: MeasureOptions): Promise<LayerFacts> {
  const hash = createHash('sha256');
  const listing = options.listInto?.newListing();
  const lister = listing ? new LayerLister(listing) : undefined;
  const sizer = options.compress ? new CompressedSizer(options.sizer) : undefined;
  let tarBytes = 0;
  try {
    for await (const chunk of source) {
      tarBytes += chunk.length;
      hash.update(chunk);
      await Promise.all([lister?.write(chunk), sizer?.write(chunk)]);
    }
    if (declaredBytes !== undefined && tarBytes !== declaredBytes) {
      throw new AnalysisError(`a layer ended after ${tarBytes} of ${declaredBytes} bytes: the save stream was cut`);
    }
    const counts = lister ? await lister.finish() : { unpackedBytes: 0, files: 0 };
    listing?.finish();
    const pushed: PushedSize | undefined = sizer ? { bytes: await sizer.end() } : options.pushedAsIs ? { bytes: tarBytes, uncompressed: true } : undefined;
    return {
      diffId: `sha256:${hash.digest('hex')}`,
      tarBytes,
      ...counts,
      ...(pushed ? { pushed: { [options.cacheKey]: pushed } } : {}),
      ...(listing ? { listing } : {}),
    };
  } catch (error) {
    listing?.abort();
    throw error;
  }
}

async function readAll(source: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of source) {
    length += chunk.length;
    if (length > limit) throw new AnalysisError(`a JSON file in the saved image is over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
