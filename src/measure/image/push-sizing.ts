/**
 * How a layer's compressed size is found on an engine: what `docker push` from that engine would upload. Pure.
 *
 * - A graph driver (overlay2, ...) keeps layers unpacked and gzips each on push with the Go standard library of
 *   the Go release that built the engine (moby's distribution/push_v2.go: `gzip.NewWriter`, level 6). Go 1.27
 *   replaced compress/flate's level 1-6 encoders, so the engine's Go version (`GET /version`, `GoVersion`) picks
 *   the model: up to Go 1.26 the lazy-matching compressor, from Go 1.27 its new level-6 encoder.
 * - The containerd image store keeps each layer as a blob and pushes the blob as it is: a compressed one
 *   counts its stored size; one kept uncompressed (as `docker load` of an uncompressed save leaves it) is pushed
 *   uncompressed and counts its full size.
 */
import type { DeflateModelName } from './compressed-size.js';

export type PushSizingMethod = DeflateModelName | 'as-stored';

export interface PushSizing {
  method: PushSizingMethod;
  /** Go's gzip modelled for a layer the engine compresses on push (graph drivers; unused as stored). */
  model: DeflateModelName;
  /** The store pushes its blobs as they are. */
  asStored: boolean;
  /**
   * Under which key the layer cache keeps these figures: they differ by model and, for stored blobs, by engine
   * (another engine may keep the same layer compressed otherwise).
   */
  cacheKey: string;
  /** Why, in words, for the report. */
  reason: string;
}

export interface EngineFacts {
  serverVersion: string;
  containerdStore: boolean;
  goVersion?: string;
  id?: string;
}

/** `go1.27.1`, `go1.27rc1`, `go1.26` → [1, 27]; anything else → undefined. */
export function goRelease(goVersion: string | undefined): [number, number] | undefined {
  const match = /^go(\d+)\.(\d+)/.exec(goVersion ?? '');
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** The model of Go's gzip for a Go release: Go 1.27 and later have the new encoder. */
export function deflateModelFor(goVersion: string | undefined): DeflateModelName {
  const release = goRelease(goVersion);
  return release && (release[0] > 1 || release[1] >= 27) ? 'go1.27' : 'go1.26';
}

export function pushSizingFor(engine: EngineFacts): PushSizing {
  const model = deflateModelFor(engine.goVersion);
  if (engine.containerdStore) {
    return {
      method: 'as-stored',
      model,
      asStored: true,
      cacheKey: `stored:${engine.id ?? 'unknown engine'}`,
      reason: 'its blobs as the containerd image store keeps them (a layer kept uncompressed is pushed uncompressed)',
    };
  }
  const gzip = model === 'go1.27' ? "Go 1.27's gzip" : 'the gzip of Go up to 1.26';
  const why = engine.goVersion
    ? `Docker ${engine.serverVersion} was built with ${engine.goVersion}`
    : 'the engine does not say which Go built it';
  return { method: model, model, asStored: false, cacheKey: model, reason: `every layer as ${gzip} compresses it on push (${why})` };
}

/** What the sizes mean on this engine, in words for the report: derived from its facts, never from free text. */
export function sizeMeaning(engine: EngineFacts & { storage: string }): string {
  const store = engine.containerdStore ? 'the containerd image store' : engine.storage;
  return (
    `unpacked, the bytes of the files in every layer, read from the image itself (the same on every engine; here ${store}); ` +
    `compressed, what a push from this engine uploads: ${pushSizingFor(engine).reason}`
  );
}
