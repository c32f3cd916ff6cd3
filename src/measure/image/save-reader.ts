/**
 * Reading one `docker save` stream: each layer found in it measured in one streaming pass (its diff ID,
 * length, unpacked size and file listing, and as asked its compressed size), and the image's config. Which
 * layers to measure and what to do with them is the caller's (analyze.ts, the cache passes): it says which
 * layers are known already, where measured ones go, and which pre-25 layer to guess by its size.
 *
 * The save tar is read entry by entry and each layer flows through a hash, a tar lister and the compressed
 * sizer at once; nothing is buffered but small JSON files and a bounded part of a layer's file listing, and
 * nothing of the image is written to disk (only the listing, sorted, for wasted space).
 *
 * Save formats: before Docker 25, `<v1 id>/layer.tar` (+ `<image id>.json` config, `manifest.json`); from
 * Docker 25, an OCI layout (`blobs/sha256/<digest>`, `index.json`, `manifest.json`), where a graph-driver
 * store writes uncompressed layers named by diff ID and the containerd store writes its compressed blobs
 * (and names the image by its manifest or index, so the config is found through them, or by its layers).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { CompressedSizer, type CompressedSizerOptions } from './compressed-size.js';
import { blobKind, decompressed, peek } from './decompress.js';
import type { ImageConfig } from './history.js';
import type { LayerCache, LayerFacts, PushedSize } from './layer-cache.js';
import { LayerLister } from './layer-listing.js';
import type { PushSizing } from './push-sizing.js';

/** What to read a save for: the image, and how its layers are sized. */
export interface SaveRequest {
  /** `sha256:...`, the image ID (its config's digest). */
  imageId: string;
  /** The image's diff IDs as the engine lists them (`RootFS.Layers`). */
  diffIds: string[];
  /** Measure compressed sizes (the costly part). */
  compressed: boolean;
  /** How a push from the engine compresses a layer: by a model of Go's gzip, or (`asStored`) as the store keeps each blob. */
  push: Pick<PushSizing, 'model' | 'asStored' | 'cacheKey'>;
  /** Sizer tuning (part size, concurrency); the model comes from `push`. */
  sizer?: Omit<CompressedSizerOptions, 'model'>;
  /** Where a measured layer's file listing is written. */
  cache: Pick<LayerCache, 'newListing'>;
}

/** The caller's part in a read: which layers it has, where measured ones go. */
export interface ReadPlan {
  knownLayer(diffId: string): boolean;
  keep(facts: LayerFacts): void;
  /** A pre-25 layer of this length taken to be this diff ID (then only hashed), or none. */
  guessBySize(tarBytes: number): string | undefined;
}

export interface SaveResult {
  config?: ImageConfig;
  /** Layers measured (and handed to `ReadPlan.keep`). */
  measured: number;
  bytesRead: number;
  /** A layer guessed by its size was another: another read is needed. */
  wrongGuess: boolean;
}

/** The image could not be analysed from its save (cut short, too large a JSON file, a layer or the config missing). */
export class AnalysisError extends Error {}

/**
 * Reads the save in `stream` to its end (and then destroys it): layers the plan does not know are measured
 * and kept, the config is found among the documents. Fails with an AnalysisError, or with the stream's error.
 */
export async function readSave(stream: Readable, request: SaveRequest, plan: ReadPlan): Promise<SaveResult> {
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
        const facts = await measureLayer(entry, size, {
          ...tarSizing(request, false),
          compress: request.compressed && !guess,
          listInto: guess ? undefined : request.cache,
        });
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

/** The small JSON documents of a save, by digest: image configs and (OCI layout) manifests and indexes. */
type Documents = Map<string, unknown>;

const JSON_LIMIT = 64 * 1024 * 1024;
/** Bytes to look at before telling a blob's kind: a tar header's `ustar` magic is at 257. */
const SNIFF_BYTES = 512;

type Entry = AsyncIterable<Buffer> & { resume(): void };

/**
 * How an uncompressed layer tar of the save is sized: a graph driver gzips it on push (the model); the containerd
 * store pushes a blob it keeps uncompressed as it is (its length). `stored`: the tar is the store's own blob.
 */
function tarSizing(request: SaveRequest, stored: boolean): Pick<MeasureOptions, 'compress' | 'pushedAsIs' | 'sizer' | 'cacheKey'> {
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
    (ImageConfig & { config?: { digest?: string }; manifests?: { digest?: string }[] }) | undefined;
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

/** Whether `a` is the list of diff IDs `b`. */
export function sameIds(a: unknown, b: string[]): boolean {
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
  request: SaveRequest,
  plan: ReadPlan,
  result: SaveResult,
  documents: Documents,
): Promise<void> {
  // the first bytes tell the kind; a chunk may be as short as one byte, so gather enough of them first
  const { head, all: rest } = await peek(entry, SNIFF_BYTES);
  if (head.length === 0) return;
  const kind = blobKind(head);
  if (kind === 'gzip' || kind === 'zstd') {
    // compressed layer: its compressed size is the blob's; its diff ID is the digest of what it unpacks to
    const facts = await measureLayer(decompressed(rest, kind), undefined, {
      compress: false,
      cacheKey: request.push.cacheKey,
      listInto: request.cache,
    });
    if (request.diffIds.includes(facts.diffId) && !plan.knownLayer(facts.diffId)) {
      keepLayer({ ...facts, pushed: { [request.push.cacheKey]: { bytes: size } } }, plan, result);
    } else {
      facts.listing?.abort();
    }
  } else if (kind === 'tar') {
    const facts = await measureLayer(rest, size, { ...tarSizing(request, true), listInto: request.cache });
    if (request.diffIds.includes(facts.diffId)) keepLayer(facts, plan, result);
    else facts.listing?.abort();
  } else if (head[0] === 0x7b /* { */) {
    await readDocument(rest, size, digest, documents);
  } else {
    for await (const _ of rest); // other blobs: not needed
  }
}

export interface MeasureOptions {
  /** Model the gzip a push would make of it. */
  compress: boolean;
  /** Or: a push uploads the tar as it is. */
  pushedAsIs?: boolean;
  sizer?: CompressedSizerOptions;
  /** Where in `LayerFacts.pushed` the compressed size goes. */
  cacheKey: string;
  /** Where the layer's listing is written (none: the layer is only hashed and counted). */
  listInto?: SaveRequest['cache'];
}

/**
 * One pass over a layer tar: its digest, and as asked its listing and compressed size. The per-layer analysis
 * of every source: a save's layers here, a registry's blobs in measure/registry-image.ts.
 */
export async function measureLayer(
  source: AsyncIterable<Buffer>,
  declaredBytes: number | undefined,
  options: MeasureOptions,
): Promise<LayerFacts> {
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
    const pushed: PushedSize | undefined = sizer
      ? { bytes: await sizer.end() }
      : options.pushedAsIs
        ? { bytes: tarBytes, uncompressed: true }
        : undefined;
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
