/**
 * Reading a built image's layers: unpacked and compressed size, the instruction behind each layer, which
 * layers came from the base image, and wasted space. A failure here does not fail the variant: its size
 * falls back to the engine's and the report says why.
 */
import type { DockerEngine, ImageFacts } from '../docker/engine.js';
import { messageOf } from '../errors.js';
import type { BuiltResult, LayerDetail } from '../report/types.js';
import { analyzeImage } from './image/analyze.js';
import { describeInstruction, historyFingerprint } from './image/history.js';
import type { LayerCache } from './image/layer-cache.js';
import type { PushSizing } from './image/push-sizing.js';
import { redact } from '../secrets/redact.js';

export type LayerFigures = Pick<
  BuiltResult,
  'sizeBytes' | 'compressedBytes' | 'baseImageLayers' | 'contentLayers' | 'layerDetails' | 'efficiency' | 'analysisError'
>;

export interface LayerRequest {
  facts: ImageFacts;
  /** The image the Dockerfile starts FROM: null for scratch, undefined when unknown. */
  baseImage: string | null | undefined;
  compressed: boolean;
  /** How a push from this engine compresses a layer. */
  push: PushSizing;
  cache: LayerCache;
  /** Build-arg values: image history records them in clear text. */
  secrets: string[];
  /** Text in the history that differs from run to run (the run's label): left out of the history fingerprint. */
  volatile?: string[];
  /** The run's cancellation: stops the image save under way. */
  signal?: AbortSignal;
}

export async function readLayers(engine: DockerEngine, request: LayerRequest): Promise<LayerFigures> {
  const { facts } = request;
  let analysis;
  try {
    analysis = await analyzeImage({
      imageId: facts.id,
      historyKey: await historyKeyOf(engine, request),
      diffIds: facts.layers,
      open: () => engine.saveImage(facts.id, request.signal, facts.platform),
      cache: request.cache,
      compressed: request.compressed,
      push: request.push,
      redact: (text) => redact(text, request.secrets),
    });
  } catch (error) {
    return { sizeBytes: facts.sizeBytes, analysisError: `the image's layers could not be read: ${messageOf(error)}` };
  }
  const baseLayers = await baseImageLayers(engine, request.baseImage, facts.layers, facts.platform);
  const layerDetails: LayerDetail[] = analysis.layers.map((layer, index) => ({
    diffId: layer.diffId,
    instruction: describeInstruction(redact(layer.createdBy, request.secrets)),
    sizeBytes: layer.unpackedBytes,
    ...(layer.compressedBytes !== undefined ? { compressedBytes: layer.compressedBytes } : {}),
    ...(layer.pushedUncompressed ? { pushedUncompressed: true as const } : {}),
    fromBaseImage: baseLayers !== undefined && index < baseLayers,
  }));
  return {
    sizeBytes: analysis.unpackedBytes,
    ...(analysis.compressedBytes !== undefined ? { compressedBytes: analysis.compressedBytes } : {}),
    ...(baseLayers !== undefined ? { baseImageLayers: baseLayers } : {}),
    contentLayers: analysis.layers.filter((l) => l.unpackedBytes > 0).length,
    layerDetails,
    efficiency: {
      score: analysis.efficiency.score,
      wastedBytes: analysis.efficiency.wastedBytes,
      topWasted: analysis.efficiency.topWasted.slice(0, 5),
    },
  };
}

/**
 * The history fingerprint, from `/history` (small and quick, unlike a save); undefined when the engine does not
 * give it, which only means the image is saved. Build-arg values are cut out before hashing: the key is
 * kept as a file name in the cache directory.
 */
async function historyKeyOf(engine: DockerEngine, request: LayerRequest): Promise<string | undefined> {
  try {
    const history = await engine.history(request.facts.id, request.facts.platform);
    const redacted = history.map((h) => ({ ...h, createdBy: redact(h.createdBy, request.secrets) }));
    return historyFingerprint(request.facts.layers, redacted, request.volatile);
  } catch {
    return undefined;
  }
}

/** How many of the image's layers are its base image's: known when the base image is here and is a prefix. */
async function baseImageLayers(
  engine: DockerEngine,
  baseImage: string | null | undefined,
  layers: string[],
  platform: string | undefined,
): Promise<number | undefined> {
  if (baseImage === null) return 0;
  if (baseImage === undefined) return undefined;
  try {
    const base = await engine.inspect(baseImage, platform); // a multi-platform base: the same platform's image
    const prefix = base.layers.length <= layers.length && base.layers.every((id, i) => layers[i] === id);
    return prefix ? base.layers.length : undefined;
  } catch {
    return undefined;
  }
}
