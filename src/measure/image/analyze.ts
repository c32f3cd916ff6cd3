/**
 * Everything we report about an image's layers, from one streaming pass over `docker save`: each layer's
 * unpacked and compressed size, the instruction that made it, and the files in it (for wasted space).
 *
 * The save tar is read entry by entry and each layer flows through a hash, a tar lister and the compressed
 * sizer at once; nothing is buffered but small JSON files, and nothing is written to disk. Layers already
 * measured (by diff ID) are skipped; an image whose config and layers are all known is not saved at all.
 *
 * Save formats: before Docker 25, `<v1 id>/layer.tar` (+ `<image id>.json` config, `manifest.json`); from
 * Docker 25, an OCI layout (`blobs/sha256/<digest>`, `index.json`, `manifest.json`), where a graph-driver
 * store writes uncompressed layers named by diff ID and the containerd store writes its compressed blobs.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { CompressedSizer, type CompressedSizerOptions } from './compressed-size.js';
import { efficiencyOf, type Efficiency } from './efficiency.js';
import { layerOrigins, type ImageConfig, type LayerOrigin } from './history.js';
import type { LayerCache, LayerFacts } from './layer-cache.js';
import { LayerLister } from './layer-listing.js';

export interface AnalyzeRequest {
  /** `sha256:...`, the image ID (its config's digest). */
  imageId: string;
  /** The image's diff IDs as the engine lists them (`RootFS.Layers`). */
  diffIds: string[];
  /** Open `docker save` of the image (called at most twice). */
  open: () => Promise<Readable>;
  cache: LayerCache;
  /** Measure compressed sizes (the costly part). */
  compressed: boolean;
  sizer?: CompressedSizerOptions;
}

export interface AnalysedLayer extends LayerOrigin {
  tarBytes: number;
  unpackedBytes: number;
  compressedBytes?: number;
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
  const { cache } = request;
  const usable = (facts: LayerFacts | undefined): facts is LayerFacts =>
    facts !== undefined && (!request.compressed || facts.compressedBytes !== undefined);
  let config = cache.config(request.imageId);
  const work = { measured: 0, cached: 0, passes: 0, savedBytesRead: 0 };
  const needed = () => request.diffIds.filter((d) => !usable(cache.layer(d)));

  for (let pass = 0; (!config || needed().length > 0) && pass < 2; pass += 1) {
    work.passes += 1;
    const result = await readSave(await request.open(), request, {
      knownLayer: (diffId) => usable(cache.layer(diffId)),
      // first pass only: a pre-25 layer whose length matches exactly one known layer of this image is taken
      // to be that layer and only hashed; a wrong guess shows in the hash and costs a second pass
      guessBySize: pass === 0 ? guessBySize(request, cache, usable) : () => undefined,
    });
    work.savedBytesRead += result.bytesRead;
    work.measured += result.layers.length;
    for (const facts of result.layers) cache.putLayer(facts);
    if (result.config) {
      config = result.config;
      cache.putConfig(request.imageId, config);
    }
    if (!result.wrongGuess) break;
  }
  if (!config) throw new AnalysisError('the saved image has no image config');
  const origins = layerOrigins(config);
  const layers: AnalysedLayer[] = [];
  const entries = [];
  for (const origin of origins) {
    const facts = cache.layer(origin.diffId);
    if (!usable(facts)) throw new AnalysisError(`the saved image lacks layer ${origin.diffId}`);
    layers.push({
      ...origin,
      tarBytes: facts.tarBytes,
      unpackedBytes: facts.unpackedBytes,
      compressedBytes: facts.compressedBytes,
      files: facts.files,
    });
    entries.push(facts.entries);
  }
  work.cached = Math.max(0, layers.length - work.measured);
  const sum = (pick: (l: AnalysedLayer) => number) => layers.reduce((total, l) => total + pick(l), 0);
  return {
    layers,
    config,
    unpackedBytes: sum((l) => l.unpackedBytes),
    compressedBytes: request.compressed ? sum((l) => l.compressedBytes ?? 0) : undefined,
    efficiency: efficiencyOf(entries),
    work,
  };
}

function guessBySize(
  request: AnalyzeRequest,
  cache: LayerCache,
  usable: (facts: LayerFacts | undefined) => facts is LayerFacts,
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
  layers: LayerFacts[];
  bytesRead: number;
  wrongGuess: boolean;
}

interface ReadPlan {
  knownLayer(diffId: string): boolean;
  guessBySize(tarBytes: number): string | undefined;
}

const JSON_LIMIT = 64 * 1024 * 1024;

async function readSave(stream: Readable, request: AnalyzeRequest, plan: ReadPlan): Promise<SaveResult> {
  const imageHex = request.imageId.replace(/^sha256:/, '');
  const result: SaveResult = { layers: [], bytesRead: 0, wrongGuess: false };
  const archive = extract();
  stream.on('error', (error) => archive.destroy(error));
  stream.pipe(archive);
  try {
    for await (const raw of archive) {
      const entry = raw as typeof raw & AsyncIterable<Buffer>;
      const { header } = entry;
      const name = header.name.replace(/^\.?\//, '');
      const size = header.size ?? 0;
      result.bytesRead += size;
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        // a pre-25 `layer.tar` symlink points at a layer saved under another ID: same diff ID, measured there
        entry.resume();
        continue;
      }
      if (name === `${imageHex}.json` || name === `blobs/sha256/${imageHex}`) {
        result.config = JSON.parse((await readAll(entry, JSON_LIMIT)).toString('utf8')) as ImageConfig;
      } else if (name.endsWith('/layer.tar')) {
        const guess = plan.guessBySize(size);
        const facts = await measureLayer(entry, size, { compress: request.compressed && !guess, list: !guess, sizer: request.sizer });
        if (guess && facts.diffId !== guess) result.wrongGuess = true;
        else if (!guess) result.layers.push(facts);
      } else if (name.startsWith('blobs/sha256/')) {
        const digest = `sha256:${name.slice('blobs/sha256/'.length)}`;
        if (request.diffIds.includes(digest)) {
          if (plan.knownLayer(digest)) entry.resume();
          else result.layers.push(await measureLayer(entry, size, { compress: request.compressed, list: true, sizer: request.sizer }));
        } else {
          await measureUnknownBlob(entry, size, request, plan, result);
        }
      } else {
        entry.resume();
      }
    }
  } finally {
    stream.destroy();
  }
  return result;
}

/** A blob that is not named by a diff ID: a compressed layer (containerd store), a manifest or index, or other. */
async function measureUnknownBlob(
  entry: AsyncIterable<Buffer> & { resume(): void },
  size: number,
  request: AnalyzeRequest,
  plan: ReadPlan,
  result: SaveResult,
): Promise<void> {
  const iterator = entry[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head: Buffer = first.value;
  const rest: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      yield head;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    },
  };
  if (head[0] === 0x1f && head[1] === 0x8b) {
    // gzipped layer: its compressed size is the blob's; its diff ID is the digest of what it unzips to
    const gunzip = createGunzip();
    const feeding = (async () => {
      for await (const chunk of rest) if (!gunzip.write(chunk)) await new Promise((r) => gunzip.once('drain', r));
      gunzip.end();
    })();
    const facts = await measureLayer(gunzip, undefined, { compress: false, list: true });
    await feeding;
    if (request.diffIds.includes(facts.diffId) && !plan.knownLayer(facts.diffId)) {
      result.layers.push({ ...facts, compressedBytes: size });
    }
  } else if (head.length > 262 && head.subarray(257, 262).toString('latin1') === 'ustar') {
    const facts = await measureLayer(rest, size, { compress: request.compressed, list: true, sizer: request.sizer });
    if (request.diffIds.includes(facts.diffId)) result.layers.push(facts);
  } else {
    for await (const _ of rest); // manifests, indexes, other images' configs: not needed
  }
}

/** One pass over a layer tar: its digest, and as asked its listing and compressed size. */
async function measureLayer(
  source: AsyncIterable<Buffer>,
  declaredBytes: number | undefined,
  options: { compress: boolean; list: boolean; sizer?: CompressedSizerOptions },
): Promise<LayerFacts> {
  const hash = createHash('sha256');
  const lister = options.list ? new LayerLister() : undefined;
  const sizer = options.compress ? new CompressedSizer(options.sizer) : undefined;
  let tarBytes = 0;
  for await (const chunk of source) {
    tarBytes += chunk.length;
    hash.update(chunk);
    await Promise.all([lister?.write(chunk), sizer?.write(chunk)]);
  }
  if (declaredBytes !== undefined && tarBytes !== declaredBytes) {
    throw new AnalysisError(`a layer ended after ${tarBytes} of ${declaredBytes} bytes: the save stream was cut`);
  }
  const listing = lister ? await lister.finish() : { unpackedBytes: 0, files: 0, entries: [] };
  return {
    diffId: `sha256:${hash.digest('hex')}`,
    tarBytes,
    ...listing,
    ...(sizer ? { compressedBytes: await sizer.end() } : {}),
  };
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
