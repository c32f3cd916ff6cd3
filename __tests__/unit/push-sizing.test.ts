// How a layer's compressed size is found on an engine: the Go that built it picks the gzip model, the containerd
// image store pushes its blobs as kept. And the sentence that says so when a layer would be pushed uncompressed.
import { describe, expect, it } from 'vitest';
import { deflateModelFor, goRelease, pushSizingFor, sizeMeaning } from '../../src/measure/image/push-sizing.js';
import { uncompressedPushNote } from '../../src/render/format.js';
import type { LayerDetail } from '../../src/report/types.js';
import { built, report, variant } from '../support/report-fixture.js';

describe("the gzip model from the engine's Go version", () => {
  it.each([
    ['go1.19.8', 'go1.26'],
    ['go1.23.7', 'go1.26'],
    ['go1.26.2', 'go1.26'],
    ['go1.26rc1', 'go1.26'],
    ['go1.27', 'go1.27'],
    ['go1.27.1', 'go1.27'],
    ['go1.27rc2', 'go1.27'],
    ['go1.31.0', 'go1.27'],
    ['go2.0', 'go1.27'],
  ])('%s: %s', (goVersion, model) => {
    expect(deflateModelFor(goVersion)).toBe(model);
  });

  it('an engine that does not say, or says something else, gets the model of every Docker release before Go 1.27', () => {
    for (const goVersion of [undefined, '', 'devel', '1.27.1', 'gccgo']) {
      expect(goRelease(goVersion)).toBeUndefined();
      expect(deflateModelFor(goVersion)).toBe('go1.26');
    }
  });
});

describe('push sizing', () => {
  it('a graph driver gzips each layer on push: the model of its Go, keyed by the model, and the reason names both', () => {
    const sizing = pushSizingFor({ serverVersion: '28.5.2+dfsg4', goVersion: 'go1.27.1', containerdStore: false, id: 'e1' });
    expect(sizing).toMatchObject({ method: 'go1.27', model: 'go1.27', asStored: false, cacheKey: 'go1.27' });
    expect(sizing.reason).toBe("every layer as Go 1.27's gzip compresses it on push (Docker 28.5.2+dfsg4 was built with go1.27.1)");
    const old = pushSizingFor({ serverVersion: '20.10.24+dfsg1', goVersion: 'go1.19.8', containerdStore: false });
    expect(old).toMatchObject({ method: 'go1.26', cacheKey: 'go1.26' });
    expect(old.reason).toBe(
      'every layer as the gzip of Go up to 1.26 compresses it on push (Docker 20.10.24+dfsg1 was built with go1.19.8)',
    );
    expect(pushSizingFor({ serverVersion: '27.1.0', containerdStore: false }).reason).toContain(
      'the engine does not say which Go built it',
    );
  });

  it('the containerd store pushes its blobs as kept: keyed by the engine, as another engine may keep a layer otherwise', () => {
    const a = pushSizingFor({ serverVersion: '28.5.2', goVersion: 'go1.27.1', containerdStore: true, id: 'engine-a' });
    const b = pushSizingFor({ serverVersion: '28.5.2', goVersion: 'go1.27.1', containerdStore: true, id: 'engine-b' });
    expect(a).toMatchObject({ method: 'as-stored', asStored: true, cacheKey: 'stored:engine-a' });
    expect(b.cacheKey).toBe('stored:engine-b');
    expect(a.reason).toBe('its blobs as the containerd image store keeps them (a layer kept uncompressed is pushed uncompressed)');
  });

  it("the report's size sentence says which, and stays within what the comment shows of it", () => {
    const engines = [
      { serverVersion: '28.5.2+dfsg4', goVersion: 'go1.27.1', containerdStore: true, storage: 'overlayfs' },
      { serverVersion: '28.5.2+dfsg4', goVersion: 'go1.27.1', containerdStore: false, storage: 'overlay2' },
      { serverVersion: '20.10.24+dfsg1', containerdStore: false, storage: 'overlay2' },
    ];
    for (const engine of engines) {
      const meaning = sizeMeaning(engine);
      expect(meaning).toContain(pushSizingFor(engine).reason);
      expect(meaning.length).toBeLessThanOrEqual(300);
    }
  });
});

describe('the note on layers pushed uncompressed', () => {
  const layer = (n: number, bytes: number, pushedUncompressed?: true): LayerDetail => ({
    diffId: `sha256:${n.toString(16).padStart(64, '0')}`,
    instruction: `RUN step ${n}`,
    sizeBytes: bytes - 512,
    compressedBytes: bytes,
    ...(pushedUncompressed ? { pushedUncompressed } : {}),
    fromBaseImage: n === 1,
  });
  const withLayers = (layers: LayerDetail[]) => ({ ...built(10_000_000, layers.length), layerDetails: layers });

  it('is absent when every layer is pushed compressed', () => {
    expect(uncompressedPushNote(report([variant('app', 1, withLayers([layer(1, 1000), layer(2, 2000)]))]))).toBeUndefined();
  });

  it('counts each such layer once, whichever variants and sides have it', () => {
    const base = layer(1, 2_129_920, true);
    const r = report([
      variant('app', 1, withLayers([base, layer(2, 2000)]), withLayers([base])),
      variant('other', 2, withLayers([base, layer(3, 1_000_000, true)])),
    ]);
    expect(uncompressedPushNote(r)).toBe(
      '2 layers (3.13 MB) are kept uncompressed by the containerd image store (as docker load of an uncompressed save leaves a layer) and a push uploads them so: the compressed size counts them whole',
    );
    expect(uncompressedPushNote(report([variant('app', 1, withLayers([base]))]))).toMatch(
      /^1 layer \(2\.13 MB\) is kept .* uploads it so: the compressed size counts it whole$/,
    );
  });
});
