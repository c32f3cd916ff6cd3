/**
 * Where the growth came from: a variant's size change split into what came from its base image (the layers of
 * the image the Dockerfile starts FROM changed: a new digest of `python:3.12-slim`, say) and what came from the
 * layers the Dockerfile adds. Known only when both sides know which of their layers are the base image's
 * (`baseImageLayers`, measure/layers.ts) and have layer details. Pure.
 */
import type { BuiltResult, ChangePart } from '../report/types.js';

/** One side's image, in two parts: its base image's layers and its own. */
export interface SideSplit {
  baseImage: ChangePart;
  own: ChangePart;
}

/** The sizes of a built image's base-image layers and of its own; undefined when the base image is unknown. */
export function splitOfSide(result: BuiltResult): SideSplit | undefined {
  const details = result.layerDetails;
  const count = result.baseImageLayers;
  if (count === undefined || !details || count > details.length) return undefined;
  const part = (layers: typeof details): ChangePart => {
    const compressed = layers.every((l) => l.compressedBytes !== undefined);
    return {
      sizeBytes: layers.reduce((sum, l) => sum + l.sizeBytes, 0),
      ...(compressed ? { compressedBytes: layers.reduce((sum, l) => sum + l.compressedBytes!, 0) } : {}),
    };
  };
  return { baseImage: part(details.slice(0, count)), own: part(details.slice(count)) };
}

/** The change from base to head, split; undefined when either side's split is unknown. */
export function splitChange(base: BuiltResult, head: BuiltResult): SideSplit | undefined {
  const [b, h] = [splitOfSide(base), splitOfSide(head)];
  if (!b || !h) return undefined;
  return { baseImage: difference(b.baseImage, h.baseImage), own: difference(b.own, h.own) };
}

function difference(before: ChangePart, after: ChangePart): ChangePart {
  return {
    sizeBytes: after.sizeBytes - before.sizeBytes,
    ...(before.compressedBytes !== undefined && after.compressedBytes !== undefined
      ? { compressedBytes: after.compressedBytes - before.compressedBytes }
      : {}),
  };
}
