// Built results with layer details, for the tests of what is read from layers (noise, attribution, rendering).
import type { BuiltResult, LayerDetail } from '../../src/report/types.js';
import { built } from './report-fixture.js';

/** A layer named `name` (its diff ID is made from the name); compressed to a third unless given. */
export function layer(name: string, instruction: string, sizeBytes: number, fromBaseImage = false, compressedBytes?: number): LayerDetail {
  return {
    diffId: `sha256:${Buffer.from(name).toString('hex').padEnd(64, '0').slice(0, 64)}`,
    instruction,
    sizeBytes,
    compressedBytes: compressedBytes ?? Math.round(sizeBytes / 3),
    fromBaseImage,
  };
}

/** A built image of these layers; `baseImageLayers` is the count of `fromBaseImage` ones unless `unknownBase`. */
export function withLayers(layers: LayerDetail[], options: { unknownBase?: boolean; wastedBytes?: number } = {}): BuiltResult {
  const result = built(
    layers.reduce((sum, l) => sum + l.sizeBytes, 0),
    layers.length,
  ) as BuiltResult;
  const compressed = layers.every((l) => l.compressedBytes !== undefined)
    ? { compressedBytes: layers.reduce((sum, l) => sum + (l.compressedBytes ?? 0), 0) }
    : {};
  return {
    ...result,
    ...compressed,
    ...(options.unknownBase ? {} : { baseImageLayers: layers.filter((l) => l.fromBaseImage).length }),
    layerDetails: options.unknownBase ? layers.map((l) => ({ ...l, fromBaseImage: false })) : layers,
    ...(options.wastedBytes !== undefined ? { efficiency: { score: 0.99, wastedBytes: options.wastedBytes, topWasted: [] } } : {}),
  };
}
