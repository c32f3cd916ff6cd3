// The image analyzer on `docker save` archives built here, in each layout a daemon writes. The daemon the
// integration tests use (Debian's 20.10) only writes the pre-25 layout; the OCI layouts of Docker 25+ and of
// the containerd store are covered here, with archives laid out as those daemons lay them out.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { AnalysisError, analyzeImage, type AnalyzeRequest, type ImageAnalysis } from '../../src/measure/image/analyze.js';
import { LayerCache } from '../../src/measure/image/layer-cache.js';
import { cacheFiles } from '../support/cache-files.js';
import { makeSave, makeTar, opener, type HistoryEntry, type SaveFormat, type SyntheticSave } from '../support/save-tar.js';

const temporary: string[] = [];
afterAll(() => temporary.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isr-layer-cache-'));
  temporary.push(dir);
  return dir;
};

/**
 * An image as a Dockerfile makes it: a base layer, empty layers (CMD, ARG, ENV, LABEL), a WORKDIR layer with
 * no bytes, a RUN that writes files, a RUN that rewrites one, deletes a file and a directory of the base.
 */
async function sampleLayers() {
  const base = await makeTar([
    { name: 'bin/', type: 'directory' },
    { name: 'bin/tool', content: 't'.repeat(5000) },
    { name: 'bin/sh', type: 'symlink', linkname: 'tool' }, // 4 bytes unpacked
    { name: 'etc/', type: 'directory' },
    { name: 'etc/conf', content: 'c'.repeat(100) },
    { name: 'usr/', type: 'directory' },
    { name: 'usr/share/', type: 'directory' },
    { name: 'usr/share/doc/', type: 'directory' },
    { name: 'usr/share/doc/readme', content: 'r'.repeat(300) },
  ]);
  const workdir = await makeTar([{ name: 'app/', type: 'directory' }]);
  const write = await makeTar([
    { name: 'app/', type: 'directory' },
    { name: 'app/data', content: 'd'.repeat(2000) },
    { name: 'tmp/', type: 'directory' },
    { name: 'tmp/cache', content: 'k'.repeat(500) },
  ]);
  const rewrite = await makeTar([
    { name: 'app/', type: 'directory' },
    { name: 'app/data', content: 'e'.repeat(2100) },
    { name: 'tmp/', type: 'directory' },
    { name: 'tmp/.wh.cache', content: '' },
    { name: 'usr/', type: 'directory' },
    { name: 'usr/share/', type: 'directory' },
    { name: 'usr/share/.wh.doc', content: '' },
  ]);
  return { base, workdir, write, rewrite };
}

const SAMPLE_HISTORY: HistoryEntry[] = [
  { created_by: '/bin/sh -c #(nop) ADD file:0123 in / ' },
  { created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
  { created_by: 'ARG TOKEN', empty_layer: true },
  { created_by: 'ENV MODE=prod', empty_layer: true },
  { created_by: 'LABEL team=size', empty_layer: true },
  { created_by: 'WORKDIR /app' },
  { created_by: 'RUN |1 TOKEN=*** /bin/sh -c make # buildkit' },
  { created_by: 'RUN /bin/sh -c clean # buildkit' },
  { created_by: 'CMD ["/app/run"]', empty_layer: true },
];

async function sampleSave(format: SaveFormat): Promise<SyntheticSave> {
  const { base, workdir, write, rewrite } = await sampleLayers();
  return makeSave({ format, layers: [base, workdir, write, rewrite], history: SAMPLE_HISTORY });
}

/** How the containerd image store's pushes are sized (push-sizing.ts), on an engine of ID e1. */
const STORED = { model: 'go1.26', asStored: true, cacheKey: 'stored:e1' } as const;

function analyze(save: SyntheticSave, open: () => Promise<Readable>, cache = new LayerCache(), compressed = true) {
  return analyzeImage({ imageId: save.imageId, diffIds: save.diffIds, open, cache, compressed });
}

/** The figures every layout must give for the sample image, worked out by hand. */
function expectSampleFigures(result: ImageAnalysis, save: SyntheticSave) {
  expect(result.layers.map((l) => [l.diffId, l.createdBy, l.historyIndex, l.unpackedBytes, l.files])).toEqual([
    [save.diffIds[0], '/bin/sh -c #(nop) ADD file:0123 in / ', 0, 5000 + 4 + 100 + 300, 3],
    [save.diffIds[1], 'WORKDIR /app', 5, 0, 0],
    [save.diffIds[2], 'RUN |1 TOKEN=*** /bin/sh -c make # buildkit', 6, 2500, 2],
    [save.diffIds[3], 'RUN /bin/sh -c clean # buildkit', 7, 2100, 1],
  ]);
  expect(result.unpackedBytes).toBe(5404 + 0 + 2500 + 2100);
  // leaves: etc/conf 100, bin/tool 5000, bin/sh 0, readme 300, app 0 (WORKDIR), app/data 2000 + 2100,
  // tmp/cache 500 + 0 (whiteout of a file), usr/share/doc 300 (whiteout of a directory, one copy)
  expect(result.efficiency.score).toBeCloseTo(
    (100 + 5000 + 0 + 300 + 0 + 2000 + 0 + 300) / (100 + 5000 + 0 + 300 + 0 + 4100 + 500 + 300),
    12,
  );
  expect(result.efficiency.wastedBytes).toBe(4100 + 500);
  expect(result.efficiency.topWasted).toEqual([
    { path: 'app/data', bytes: 4100, copies: 2 },
    { path: 'tmp/cache', bytes: 500, copies: 2 },
  ]);
  expect(result.config.rootfs?.diff_ids).toEqual(save.diffIds);
  for (const layer of result.layers) expect(layer.compressedBytes).toBeGreaterThan(0);
  expect(result.compressedBytes).toBe(result.layers.reduce((sum, l) => sum + l.compressedBytes!, 0));
}

describe('analyzeImage on each save layout', () => {
  it('reads the pre-25 layout (<v1 id>/layer.tar, <image id>.json, manifest.json last)', async () => {
    const save = await sampleSave('legacy');
    const { open, opens } = opener(save.tar);
    const result = await analyze(save, open);
    expectSampleFigures(result, save);
    expect(result.layers.map((l) => l.tarBytes)).toEqual((await sampleLayers().then(Object.values)).map((b: Buffer) => b.length));
    expect(result.work).toMatchObject({ measured: 4, cached: 0, passes: 1 });
    expect(opens()).toBe(1);
  });

  it('reads the OCI layout of Docker 25+ on a graph driver (uncompressed blobs named by diff ID)', async () => {
    const save = await sampleSave('oci');
    expect(save.imageId).toBe(save.configDigest);
    const { open, opens } = opener(save.tar);
    const result = await analyze(save, open);
    expectSampleFigures(result, save);
    expect(result.work).toMatchObject({ measured: 4, cached: 0, passes: 1 });
    expect(opens()).toBe(1);
  });

  it('reads the containerd store layout: gzipped blobs, the image named by its manifest, stored size = blob size', async () => {
    const save = await sampleSave('containerd');
    expect(save.imageId).not.toBe(save.configDigest);
    const result = await analyze(save, opener(save.tar).open);
    expectSampleFigures(result, save);
    expect(result.layers.map((l) => l.compressedBytes)).toEqual(save.blobSizes);
    expect(result.compressedBytes).toBe(save.blobSizes.reduce((a, b) => a + b, 0));
  });

  it('finds the config through the index when the containerd store names the image by an index (with an attestation)', async () => {
    const { base, workdir, write, rewrite } = await sampleLayers();
    const save = await makeSave({
      format: 'containerd',
      imageIndex: true,
      layers: [base, workdir, write, rewrite],
      history: SAMPLE_HISTORY,
    });
    const result = await analyze(save, opener(save.tar).open);
    expectSampleFigures(result, save);
    expect(result.layers.map((l) => l.compressedBytes)).toEqual(save.blobSizes);
  });

  it('counts a layer the containerd store keeps uncompressed at its full size, as a push uploads it, and says so', async () => {
    const { base, workdir, write, rewrite } = await sampleLayers();
    const save = await makeSave({
      format: 'containerd',
      layers: [base, workdir, write, rewrite],
      history: SAMPLE_HISTORY,
      uncompressedLayers: [2],
    });
    const result = await analyzeImage({
      imageId: save.imageId,
      diffIds: save.diffIds,
      open: opener(save.tar).open,
      cache: new LayerCache(),
      compressed: true,
      push: STORED,
    });
    expectSampleFigures(result, save);
    expect(result.layers.map((l) => l.compressedBytes)).toEqual(save.blobSizes);
    expect(result.layers[2].compressedBytes).toBe(write.length);
    expect(result.layers.map((l) => l.pushedUncompressed ?? false)).toEqual([false, false, true, false]);
  });

  it('keeps compressed sizes apart by the way they were found: another model or another engine measures again', async () => {
    const save = await sampleSave('oci');
    const { open, opens } = opener(save.tar);
    const cache = new LayerCache();
    const request = (push: AnalyzeRequest['push']) =>
      analyzeImage({ imageId: save.imageId, diffIds: save.diffIds, open, cache, compressed: true, push });
    const go126 = await request({ model: 'go1.26', asStored: false, cacheKey: 'go1.26' });
    expect(opens()).toBe(1);
    await request({ model: 'go1.26', asStored: false, cacheKey: 'go1.26' });
    expect(opens()).toBe(1);
    // another key: the layers are read again, and the first figures are still kept
    const other = await request({ model: 'go1.26', asStored: false, cacheKey: 'another' });
    expect(opens()).toBe(2);
    expect(other.layers.map((l) => l.compressedBytes)).toEqual(go126.layers.map((l) => l.compressedBytes));
    await request({ model: 'go1.26', asStored: false, cacheKey: 'go1.26' });
    expect(opens()).toBe(2);
    const stored = await request(STORED);
    expect(opens()).toBe(3);
    // a graph driver's uncompressed blob is its own, but a push gzips it: only the containerd store pushes a tar as it is
    expect(go126.layers.every((l) => l.pushedUncompressed === undefined)).toBe(true);
    expect(stored.layers.map((l) => l.compressedBytes)).toEqual(stored.layers.map((l) => l.tarBytes));
  });

  it('gives the compressed size of gzipped blobs even when compressed sizes are not asked for', async () => {
    const save = await sampleSave('containerd');
    const result = await analyze(save, opener(save.tar).open, new LayerCache(), false);
    expect(result.compressedBytes).toBeUndefined();
    expect(result.layers.map((l) => l.compressedBytes)).toEqual(save.blobSizes);
  });

  it.each(['legacy', 'oci', 'containerd'] as const)('gives the same figures whatever chunks the %s save arrives in', async (format) => {
    const save = await sampleSave(format);
    const whole = await analyze(save, opener(save.tar).open);
    // one-byte chunks only where the blob kind is told from its first bytes (quick enough there)
    for (const chunkSize of format === 'containerd' ? [1, 7, 300, 511, 513] : [7, 300, 511, 513]) {
      const result = await analyze(save, opener(save.tar, chunkSize).open);
      expect({ size: chunkSize, layers: result.layers, efficiency: result.efficiency }).toEqual({
        size: chunkSize,
        layers: whole.layers,
        efficiency: whole.efficiency,
      });
    }
  });

  it('does not compress when compressed sizes are not asked for', async () => {
    const save = await sampleSave('legacy');
    const result = await analyze(save, opener(save.tar).open, new LayerCache(), false);
    expect(result.compressedBytes).toBeUndefined();
    expect(result.layers.every((l) => l.compressedBytes === undefined)).toBe(true);
    expect(result.unpackedBytes).toBe(10004);
  });
});

describe('analyzeImage on an image with the same layer twice', () => {
  async function twiceSave(format: SaveFormat, symlinkRepeats: boolean) {
    const { base } = await sampleLayers();
    const copy = await makeTar([
      { name: 'data/', type: 'directory' },
      { name: 'data/blob', content: 'b'.repeat(1000) },
    ]);
    const other = await makeTar([{ name: 'other', content: 'o'.repeat(10) }]);
    return makeSave({
      format,
      symlinkRepeats,
      layers: [base, copy, other, copy],
      history: [{ created_by: 'base' }, { created_by: 'COPY blob' }, { created_by: 'other' }, { created_by: 'COPY blob again' }],
    });
  }

  it.each([
    ['legacy', true], // how Docker saves it: the second layer.tar is a symlink to the first
    ['legacy', false],
    ['oci', false],
    ['containerd', false],
  ] as const)('%s layout (layer.tar symlink: %s): both places measured, the file counted as stored twice', async (format, symlink) => {
    const save = await twiceSave(format, symlink);
    expect(save.diffIds[1]).toBe(save.diffIds[3]);
    const result = await analyze(save, opener(save.tar).open);
    expect(result.layers.map((l) => [l.createdBy, l.unpackedBytes])).toEqual([
      ['base', 5404],
      ['COPY blob', 1000],
      ['other', 10],
      ['COPY blob again', 1000],
    ]);
    expect(result.layers[3].compressedBytes).toBe(result.layers[1].compressedBytes);
    expect(result.unpackedBytes).toBe(5404 + 1000 + 10 + 1000);
    expect(result.efficiency.topWasted).toEqual([{ path: 'data/blob', bytes: 2000, copies: 2 }]);
  });
});

describe('analyzeImage with a layer cache', () => {
  it('does not open the save again for an image it has measured', async () => {
    const save = await sampleSave('legacy');
    const { open, opens } = opener(save.tar);
    const cache = new LayerCache();
    const first = await analyze(save, open, cache);
    const second = await analyze(save, open, cache);
    expect(opens()).toBe(1);
    expect(second.work).toEqual({ measured: 0, cached: 4, passes: 0, savedBytesRead: 0 });
    expect({ ...second, work: undefined }).toEqual({ ...first, work: undefined });
  });

  it('opens it again when compressed sizes are asked for and were not measured, and not after that', async () => {
    const save = await sampleSave('oci');
    const { open, opens } = opener(save.tar);
    const cache = new LayerCache();
    const plain = await analyze(save, open, cache, false);
    expect(plain.compressedBytes).toBeUndefined();
    const compressed = await analyze(save, open, cache, true);
    expect(opens()).toBe(2);
    expect(compressed.compressedBytes).toBeGreaterThan(0);
    expect(compressed.work.measured).toBe(4);
    // the compressed sizes are kept when the layers are not compressed again
    const again = await analyze(save, open, cache, false);
    expect(opens()).toBe(2);
    expect(again.layers.map((l) => l.compressedBytes)).toEqual(compressed.layers.map((l) => l.compressedBytes));
  });

  it('keeps measurements on disk for a later run, for every image with the same layers', async () => {
    const dir = tempDir();
    const save = await sampleSave('legacy');
    const first = await analyze(save, opener(save.tar).open, new LayerCache(dir));

    const { open, opens } = opener(save.tar);
    const later = await analyze(save, open, new LayerCache(dir));
    expect(opens()).toBe(0);
    expect(later.layers).toEqual(first.layers);
    expect(later.efficiency).toEqual(first.efficiency);
    expect(later.compressedBytes).toBe(first.compressedBytes);

    // another image on the same layers, another history: only its config is read, no layer is measured
    const { base, workdir, write, rewrite } = await sampleLayers();
    const sibling = await makeSave({
      format: 'legacy',
      layers: [base, workdir, write, rewrite],
      history: SAMPLE_HISTORY.map((h, i) => (i === 8 ? { created_by: 'CMD ["other"]', empty_layer: true } : h)),
    });
    expect(sibling.imageId).not.toBe(save.imageId);
    const siblingOpen = opener(sibling.tar);
    const result = await analyze(sibling, siblingOpen.open, new LayerCache(dir));
    expect(siblingOpen.opens()).toBe(1);
    expect(result.work).toMatchObject({ measured: 0, cached: 4, passes: 1 });
    expect(result.layers).toEqual(first.layers);
  });

  it('finds the config of an earlier image with another ID by its history key, and then saves nothing', async () => {
    const dir = tempDir();
    const save = await sampleSave('legacy');
    const key = `sha256:${'ab'.repeat(32)}`;
    await analyzeImage({
      imageId: save.imageId,
      diffIds: save.diffIds,
      open: opener(save.tar).open,
      cache: new LayerCache(dir),
      compressed: true,
      historyKey: key,
    });

    // the same content under a new image ID (a rebuild with this run's label): known by the key
    const rebuiltId = `sha256:${'cd'.repeat(32)}`;
    const { open, opens } = opener(save.tar);
    const later = await analyzeImage({
      imageId: rebuiltId,
      diffIds: save.diffIds,
      open,
      cache: new LayerCache(dir),
      compressed: true,
      historyKey: key,
    });
    expect(opens()).toBe(0);
    expectSampleFigures(later, save);

    // a key whose config lists other layers is no answer: the image is saved
    const other = opener(save.tar);
    const differentLayers = [...save.diffIds.slice(0, 3), `sha256:${'ef'.repeat(32)}`];
    await expect(
      analyzeImage({
        imageId: rebuiltId,
        diffIds: differentLayers,
        open: other.open,
        cache: new LayerCache(dir),
        compressed: true,
        historyKey: key,
      }),
    ).rejects.toThrow(AnalysisError);
    expect(other.opens()).toBe(1);
  });

  it('keeps file listings in the cache directory (and without one, in a temporary directory that close removes)', async () => {
    const dir = tempDir();
    const save = await sampleSave('legacy');
    const onDisk = new LayerCache(dir);
    const first = await analyze(save, opener(save.tar).open, onDisk);
    expect(readdirSync(path.join(dir, 'v4', 'listings')).sort()).toEqual(save.diffIds.map((d) => d.slice(7)).sort());
    const scratch = () => readdirSync(path.join(dir, 'v4')).filter((name) => name.startsWith('tmp-'));
    expect(scratch()).toHaveLength(1); // where listings were written while their layer was read
    onDisk.close();
    expect(scratch()).toEqual([]);
    const inTemp = new LayerCache();
    await analyze(save, opener(save.tar).open, inTemp);
    const listings = save.diffIds.map((d) => inTemp.listingFile(d)!);
    expect(listings.every((file) => file.startsWith(os.tmpdir()) && existsSync(file))).toBe(true);
    // the same cache objects: each measures again once its listings are gone, and gives the same figures
    rmSync(path.join(dir, 'v4', 'listings'), { recursive: true });
    const again = opener(save.tar);
    expect((await analyze(save, again.open, onDisk)).efficiency).toEqual(first.efficiency);
    expect(again.opens()).toBe(1);
    const memory = opener(save.tar);
    expect((await analyze(save, memory.open, inTemp)).efficiency).toEqual(first.efficiency);
    expect(memory.opens()).toBe(0);
    inTemp.close();
    expect(listings.some((file) => existsSync(file))).toBe(false);
    const afterClose = opener(save.tar);
    expect((await analyze(save, afterClose.open, inTemp)).efficiency).toEqual(first.efficiency);
    expect(afterClose.opens()).toBe(1);
    inTemp.close();
  });

  it('keeps no build-arg value of the history, in memory or on disk, when given a redaction', async () => {
    const dir = tempDir();
    const { base, write } = await sampleLayers();
    const secret = 'hunter2 | with spaces';
    const save = await makeSave({
      format: 'legacy',
      layers: [base, write],
      history: [{ created_by: 'base' }, { created_by: `|1 TOKEN=${secret} /bin/sh -c make` }],
    });
    expect(save.tar.includes(secret)).toBe(true);
    const redact = (text: string) => text.split(secret).join('***');
    const result = await analyzeImage({
      imageId: save.imageId,
      diffIds: save.diffIds,
      open: opener(save.tar).open,
      cache: new LayerCache(dir),
      compressed: false,
      redact,
    });
    expect(result.layers[1].createdBy).toBe('|1 TOKEN=*** /bin/sh -c make');
    expect(JSON.stringify(result)).not.toContain('hunter2');
    const files = cacheFiles(dir);
    expect(files.length).toBe(5); // two layers (facts and listing each) and the config
    for (const { text } of files) expect(text).not.toContain('hunter2');
    // and the cached config gives the same instructions
    const again = await analyzeImage({
      imageId: save.imageId,
      diffIds: save.diffIds,
      open: opener(save.tar).open,
      cache: new LayerCache(dir),
      compressed: false,
    });
    expect(again.work.passes).toBe(0);
    expect(again.layers).toEqual(result.layers);
  });

  type Damage = readonly [string, (file: Buffer) => Buffer];
  const damages: Record<'gzipped' | 'listing', readonly Damage[]> = {
    gzipped: [
      ['garbage', () => Buffer.from('not gzip at all')],
      ['a cut gzip file', (file: Buffer) => file.subarray(0, file.length >> 1)],
      ['gzipped JSON of another shape', () => gzipSync(JSON.stringify({ hello: 'world', rootfs: { diff_ids: ['sha256:0'] } }))],
      ['gzipped JSON that is no object', () => gzipSync('42')],
      ['an empty file', () => Buffer.alloc(0)],
    ],
    listing: [
      ['garbage', () => Buffer.from('not a listing at all')],
      ['a file cut in half', (file: Buffer) => file.subarray(0, file.length >> 1)],
      ['a file cut after a record', (file: Buffer) => file.subarray(0, file.indexOf(0) + 1)],
      ['records out of order', (file: Buffer) => Buffer.concat([Buffer.from('f1 zzz\0'), file])],
      ['an empty file', () => Buffer.alloc(0)],
    ],
  };

  describe.each(['layer', 'listing', 'config'] as const)('takes a damaged %s cache file as a miss', (which) => {
    it.each(damages[which === 'listing' ? 'listing' : 'gzipped'])(
      '%s: read again, same figures, and the cache is whole again',
      async (_, damage) => {
        const dir = tempDir();
        const save = await sampleSave('oci');
        const first = await analyze(save, opener(save.tar).open, new LayerCache(dir));
        const layerFiles = path.join(dir, 'v4', 'layers');
        expect(readdirSync(layerFiles)).toHaveLength(4);
        expect(readdirSync(path.join(dir, 'v4', 'listings'))).toHaveLength(4);
        const file =
          which === 'config'
            ? path.join(dir, 'v4', 'configs', `${save.imageId.slice(7)}.json.gz`)
            : which === 'layer'
              ? path.join(dir, 'v4', 'layers', `${save.diffIds[2].slice(7)}.json.gz`)
              : path.join(dir, 'v4', 'listings', save.diffIds[2].slice(7));
        writeFileSync(file, damage(readFileSync(file)));
        const { open, opens } = opener(save.tar);
        const result = await analyze(save, open, new LayerCache(dir));
        expect(opens()).toBe(1);
        expect(result.work).toMatchObject({ measured: which === 'config' ? 0 : 1, passes: 1 });
        expect({ ...result, work: undefined }).toEqual({ ...first, work: undefined });
        const again = opener(save.tar);
        await analyze(save, again.open, new LayerCache(dir));
        expect(again.opens()).toBe(0);
      },
    );
  });

  it('measures exactly when a layer has the length of a known layer but other content (pre-25: a second pass)', async () => {
    const known = await makeTar([{ name: 'a', content: 'x'.repeat(1000) }]);
    const lookalike = await makeTar([{ name: 'a', content: 'y'.repeat(990) }]); // the same 1024-byte blocks
    expect(lookalike.length).toBe(known.length);
    const cache = new LayerCache();
    const first = await makeSave({ format: 'legacy', layers: [known], history: [{ created_by: 'known' }] });
    await analyze(first, opener(first.tar).open, cache);

    const save = await makeSave({
      format: 'legacy',
      layers: [known, lookalike],
      history: [{ created_by: 'known' }, { created_by: 'lookalike' }],
    });
    const { open, opens } = opener(save.tar);
    const result = await analyze(save, open, cache);
    expect(result.work.passes).toBe(2);
    expect(opens()).toBe(2);
    expect(result.layers.map((l) => [l.diffId, l.createdBy, l.unpackedBytes, l.files, l.tarBytes])).toEqual([
      [save.diffIds[0], 'known', 1000, 1, known.length],
      [save.diffIds[1], 'lookalike', 990, 1, lookalike.length],
    ]);
    expect(result.unpackedBytes).toBe(1990);
    // a is in both layers: 1000 + 990
    expect(result.efficiency.topWasted).toEqual([{ path: 'a', bytes: 1990, copies: 2 }]);
    expect(result.layers[1].compressedBytes).toBeGreaterThan(0);
  });

  it('takes a layer of known length for the known layer when it is, without a second pass', async () => {
    const known = await makeTar([{ name: 'a', content: 'x'.repeat(1000) }]);
    const cache = new LayerCache();
    const first = await makeSave({ format: 'legacy', layers: [known], history: [{ created_by: 'first' }] });
    await analyze(first, opener(first.tar).open, cache);
    const extra = await makeTar([{ name: 'b', content: 'b'.repeat(10) }]);
    const save = await makeSave({ format: 'legacy', layers: [known, extra], history: [{ created_by: 'known' }, { created_by: 'extra' }] });
    const result = await analyze(save, opener(save.tar).open, cache);
    expect(result.work).toMatchObject({ measured: 1, cached: 1, passes: 1 });
    expect(result.layers.map((l) => l.unpackedBytes)).toEqual([1000, 10]);
  });
});

describe('analyzeImage on a broken save', () => {
  /** Fails the test instead of waiting for vitest's timeout when the analyzer hangs. */
  const withinSeconds = <T>(promise: Promise<T>, seconds = 10) =>
    Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('hung')), seconds * 1000))]);

  it.each(['legacy', 'oci', 'containerd'] as const)(
    'reports a %s save stream cut short as an AnalysisError, not a hang',
    async (format) => {
      const save = await sampleSave(format);
      const whole = await analyze(save, opener(save.tar).open);
      // cut everywhere: inside headers, layers, gzip streams, the config, and between entries
      const outcomes = { errors: 0, complete: 0 };
      for (let cut = 0; cut < save.tar.length; cut += 311) {
        const truncated = save.tar.subarray(0, cut);
        const outcome = await withinSeconds(analyze(save, opener(truncated, 4096).open).catch((error: unknown) => error));
        if (outcome instanceof AnalysisError) outcomes.errors += 1;
        else {
          // tar has no length up front: a cut after everything the figures need (the config and every layer,
          // all checked against their digests) is a complete read
          expect({ cut, outcome }).toEqual({ cut, outcome: { ...whole, work: expect.anything() } });
          outcomes.complete += 1;
        }
      }
      expect(outcomes.errors).toBeGreaterThan(outcomes.complete);
    },
  );

  it('reports a containerd save cut inside a large gzipped layer as an AnalysisError, not a hang', async () => {
    const noise = randomBytes(300_000); // does not compress: the blob is as large
    const save = await makeSave({
      format: 'containerd',
      layers: [await makeTar([{ name: 'noise', content: noise }])],
      history: [{ created_by: 'x' }],
    });
    const blobAt = save.tar.indexOf(gzipSync(await makeTar([{ name: 'noise', content: noise }])).subarray(0, 64));
    expect(blobAt).toBeGreaterThan(0);
    for (const cut of [blobAt + 10_000, blobAt + 150_000, blobAt + save.blobSizes[0] - 100]) {
      await expect(withinSeconds(analyze(save, opener(save.tar.subarray(0, cut), 4096).open))).rejects.toThrow(AnalysisError);
    }
    expect((await analyze(save, opener(save.tar).open)).layers[0].unpackedBytes).toBe(300_000);
  });

  it('reports a stream that fails as an AnalysisError', async () => {
    const save = await sampleSave('legacy');
    const failing = async () =>
      Readable.from(
        (async function* () {
          yield save.tar.subarray(0, 3000);
          throw new Error('connection reset');
        })(),
      );
    await expect(withinSeconds(analyze(save, failing))).rejects.toThrow(AnalysisError);
    await expect(withinSeconds(analyze(save, failing))).rejects.toThrow(/connection reset/);
  });

  it('reports a save without the image or one of its layers as an AnalysisError', async () => {
    const save = await sampleSave('oci');
    const other = await makeSave({ format: 'oci', layers: [await makeTar([{ name: 'x', content: 'x' }])], history: [{ created_by: 'x' }] });
    await expect(analyze(save, opener(other.tar).open)).rejects.toThrow(AnalysisError);
    // the config is there, a layer is not
    for (const format of ['legacy', 'oci', 'containerd'] as const) {
      const { base, workdir, write, rewrite } = await sampleLayers();
      const broken = await makeSave({ format, layers: [base, workdir, write, rewrite], history: SAMPLE_HISTORY, omitLayers: [2] });
      await expect(analyze(broken, opener(broken.tar).open)).rejects.toThrow(
        new AnalysisError(`the saved image lacks layer ${broken.diffIds[2]}`),
      );
    }
  });
});
