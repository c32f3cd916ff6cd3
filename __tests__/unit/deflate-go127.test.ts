// The go1.27 compressed-size model (src/measure/image/deflate/go127-model.ts) against sizes recorded from real Go 1.27.3
// gzip (gzip.NewWriter, default level 6, as `docker push` compresses a layer tar on a Docker built with Go 1.27),
// and against itself: neither chunking nor the part size changes a byte, options are checked.
//
// How the sizes were recorded: `node bench/record-go-sizes.mjs /tmp/gogzip127` writes each input of
// deflate-inputs.ts's recordedInputs() to a file and runs bench/gogzip (built with Go 1.27.3:
// `cd bench/gogzip && GOROOT=/tmp/forky/go/usr/lib/go-1.27 /tmp/forky/go/usr/lib/go-1.27/bin/go build -o /tmp/gogzip127 .`)
// on them, which prints the length of what io.Copy into gzip.NewWriter wrote for each. No Go runs here.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CompressedSizer, compressedSizeOf } from '../../src/measure/image/compressed-size.js';
import { go127DeflateModel } from '../../src/measure/image/deflate/go127-model.js';
import { Go127Sizer } from '../../src/measure/image/deflate/go127-sizer.js';
import { prng, recordedInputs, text } from './deflate-inputs.js';

/** Go 1.27.3's gzip sizes of recordedInputs(), in bytes (bench/record-go-sizes.mjs printed them). */
const GO: Record<string, number> = {
  empty: 20,
  a: 26,
  hello: 38,
  text12: 37,
  text13: 38,
  text32: 57,
  text33: 58,
  text100: 125,
  text127: 152,
  text128: 119,
  text129: 114,
  text200: 151,
  text1000: 484,
  text1024: 499,
  text1025: 502,
  text4096: 1_653,
  text65535: 22_153,
  text65536: 22_108,
  text65662: 22_161,
  text65663: 22_083,
  text196605: 65_237,
  noise32: 57,
  noise33: 58,
  noise127: 152,
  noise128: 153,
  noise2000: 2_025,
  zeros127: 47,
  zeros128: 24,
  zeros1000: 29,
  zeros66535: 109,
  text: 1_026_419,
  noise: 2_097_342,
  mixed: 1_298_362,
  smallFiles: 48_759,
  skewed: 1_005_061,
  json: 147_862,
  binary: 270_290,
  zeros: 2_071,
  layered: 1_510_111,
};

const INPUTS = recordedInputs();
const GO127 = { model: 'go1.27' } as const;

/** The model run in one part on this thread: the sequential model, no part boundaries at all. */
function sequential(bytes: Uint8Array) {
  const model = go127DeflateModel();
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const records = new Int32Array(Math.max(1, Math.ceil(data.length / model.BLOCK)) * model.RECORD);
  const writer = model.writer();
  writer.add(records, model.encodePart(data, 0, data.length, true, records));
  return { size: 18 + writer.finish(), counts: writer.counts };
}

async function sizeInChunks(bytes: Buffer, chunkSizes: () => number, options: ConstructorParameters<typeof CompressedSizer>[0]) {
  const sizer = new CompressedSizer(options);
  for (let offset = 0; offset < bytes.length;) {
    const n = Math.min(chunkSizes(), bytes.length - offset);
    await sizer.write(bytes.subarray(offset, offset + n));
    offset += n;
  }
  return sizer.end();
}

const relative = (actual: number, expected: number): number => Math.abs(actual - expected) / expected;

describe("go1.27 model: Go 1.27's gzip, to the byte", () => {
  it('every recorded input, in one part: the sequential model is exact', () => {
    expect(Object.keys(INPUTS).sort()).toEqual(Object.keys(GO).sort());
    for (const [name, bytes] of Object.entries(INPUTS)) expect({ name, size: sequential(bytes).size }).toEqual({ name, size: GO[name] });
  });

  it('the inputs take every path of the block writer: stored, fixed, new and reused tables, Huffman-only', () => {
    const total = { stored: 0, fixed: 0, dynamic: 0, dynamicReused: 0, huffman: 0, huffmanReused: 0 };
    for (const bytes of Object.values(INPUTS)) {
      const { counts } = sequential(bytes);
      for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += counts[key];
    }
    for (const count of Object.values(total)) expect(count).toBeGreaterThan(0);
  });

  it('empty input: header, an empty final fixed block, trailer (3 bytes less than Go 1.26 wrote)', async () => {
    expect(await compressedSizeOf([], GO127)).toBe(GO.empty);
    expect(await compressedSizeOf([])).toBe(GO.empty + 3);
  });

  it('tiny inputs through the sizer, to the byte (Go stores up to 32 bytes, Huffman-codes up to 127, encodes from 128)', async () => {
    for (const name of [
      'a',
      'hello',
      'text12',
      'text13',
      'text32',
      'text33',
      'text127',
      'text128',
      'text129',
      'noise127',
      'zeros127',
      'zeros128',
    ]) {
      expect({ name, size: await compressedSizeOf([INPUTS[name]], GO127) }).toEqual({ name, size: GO[name] });
    }
  });

  it("around Go's 65535-byte blocks, through the sizer, to the byte", async () => {
    for (const name of ['text65535', 'text65536', 'text65662', 'text65663', 'text196605', 'zeros66535']) {
      expect({ name, size: await compressedSizeOf([INPUTS[name]], GO127) }).toEqual({ name, size: GO[name] });
    }
  });

  it('every recorded input through the parallel sizer, to the byte', async () => {
    for (const [name, bytes] of Object.entries(INPUTS)) {
      expect({ name, size: await compressedSizeOf([bytes], GO127) }).toEqual({ name, size: GO[name] });
    }
  });
});

describe('go1.27 model: parts, chunks, streaming', () => {
  it('the part size does not change a byte: each part is warmed on the two Go blocks before it, and checked', async () => {
    for (const name of ['text', 'mixed', 'smallFiles', 'json', 'binary', 'layered', 'zeros']) {
      for (const blockSize of [64 * 1024, 256 * 1024, 1024 * 1024, 3 * 1024 * 1024]) {
        expect({ name, blockSize, size: await compressedSizeOf([INPUTS[name]], { ...GO127, blockSize }) }).toEqual({
          name,
          blockSize,
          size: GO[name],
        });
      }
    }
  });

  it('a part whose warm-up leaves other tables than Go had there is parsed again from the right ones', async () => {
    // Without a warm-up every part but the first starts from empty tables: each is checked, found different,
    // and parsed again from the tables the part before it ended with.
    for (const name of ['text', 'layered']) {
      const sizer = new Go127Sizer({ partSize: 4 * 65535, concurrency: 2, warmBlocks: 0 });
      await sizer.write(INPUTS[name]);
      expect({ name, size: await sizer.end() }).toEqual({ name, size: GO[name] });
      expect(sizer.stats.reruns).toBe(sizer.stats.blocks - 1);
    }
    // With the warm-up, parsing again is rare.
    const sizer = new Go127Sizer({ partSize: 4 * 65535, concurrency: 2 });
    await sizer.write(INPUTS.layered);
    expect(await sizer.end()).toBe(GO.layered);
    expect(sizer.stats.reruns).toBeLessThan(sizer.stats.blocks / 4);
  });

  it('parts are whole Go blocks: 64 KiB parts are single 65535-byte blocks', async () => {
    const sizer = new CompressedSizer({ ...GO127, blockSize: 64 * 1024 });
    await sizer.write(INPUTS.text196605);
    await sizer.end();
    expect(sizer.stats.blocks).toBe(3);
  });

  it('chunk boundaries do not matter, to the byte (Go cuts blocks every 65535 bytes whatever the Writes)', async () => {
    const bytes = INPUTS.layered;
    const options = { ...GO127, blockSize: 128 * 1024 };
    const oneChunk = await sizeInChunks(bytes, () => bytes.length, options);
    const random = prng(7);
    const ragged = await sizeInChunks(bytes, () => 1 + Math.floor(random() * random() * 300_000), options);
    const goBlocks = await sizeInChunks(bytes, () => 65535, options);
    let i = 0;
    const tinyThenHuge = await sizeInChunks(bytes, () => (i++ < 2000 ? 1 + (i % 3) : bytes.length), options);
    expect(ragged).toBe(oneChunk);
    expect(goBlocks).toBe(oneChunk);
    expect(tinyThenHuge).toBe(oneChunk);
  });

  it('reads a Node stream', async () => {
    const bytes = text(300_000, 9);
    const fromStream = await compressedSizeOf(Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), GO127);
    expect(fromStream).toBe(sequential(bytes).size);
  });

  it('back-pressure: never more than `concurrency` parts in flight', async () => {
    for (const concurrency of [1, 2, 3]) {
      const sizer = new CompressedSizer({ ...GO127, blockSize: 64 * 1024, concurrency });
      await sizer.write(INPUTS.mixed); // 33 Go blocks in one write
      expect(await sizer.end()).toBeGreaterThan(0);
      expect(sizer.stats.blocks).toBe(33);
      expect(sizer.stats.maxInFlight).toBe(concurrency);
    }
  });

  it('sizers at work at the same time share the workers and each gets its own size', async () => {
    const names = ['text', 'layered', 'json', 'binary'];
    const sizes = await Promise.all(names.map((name) => sizeInChunks(INPUTS[name], () => 300_000, { ...GO127, blockSize: 4 * 65535 })));
    expect(sizes).toEqual(names.map((name) => GO[name]));
  });

  it('writes that are not awaited are still taken in order', async () => {
    const sizer = new CompressedSizer({ ...GO127, blockSize: 64 * 1024 });
    const writes = [];
    for (let offset = 0; offset < INPUTS.mixed.length; offset += 100_000)
      writes.push(sizer.write(INPUTS.mixed.subarray(offset, offset + 100_000)));
    await Promise.all(writes);
    expect(await sizer.end()).toBe(await compressedSizeOf([INPUTS.mixed], { ...GO127, blockSize: 64 * 1024 }));
  });

  it('a stream whose length is a whole number of parts: its last block is still written as the last', async () => {
    const bytes = text(4 * 65535, 10);
    for (const blockSize of [2 * 65535, 4 * 65535])
      expect(await compressedSizeOf([bytes], { ...GO127, blockSize })).toBe(sequential(bytes).size);
  });
});

describe('go1.27 model: options', () => {
  it('rejects an unknown model, and levels other than 6 with go1.27, with a clear message', async () => {
    expect(() => new CompressedSizer({ model: 'go1.28' as never })).toThrow(/model must be 'go1.26' .* or 'go1.27' .*, got "go1.28"/);
    expect(() => new CompressedSizer({ model: 'go1.27', level: 9 })).toThrow(/model 'go1.27' models level 6 only .*, got level 9/);
    expect(() => new CompressedSizer({ model: 'go1.27', blockSize: 1000 })).toThrow(/blockSize must be an integer >= 65536/);
    expect(() => new CompressedSizer({ model: 'go1.27', concurrency: 0 })).toThrow(/concurrency must be an integer >= 1/);
    const sizer = new CompressedSizer(GO127);
    await sizer.end();
    await expect(sizer.write(Buffer.from('x'))).rejects.toThrow(/write after end/);
    await expect(sizer.end()).rejects.toThrow(/end called twice/);
  });

  it('go1.26 stays the default, and is not Go 1.27: its size of the same text is more than 1% off', async () => {
    const bytes = INPUTS.text196605;
    const go126 = await compressedSizeOf([bytes]);
    expect(await compressedSizeOf([bytes], { model: 'go1.26' })).toBe(go126);
    expect(relative(go126, GO.text196605)).toBeGreaterThan(0.01);
    expect(await compressedSizeOf([bytes], { model: 'go1.27', level: 6 })).toBe(GO.text196605);
  });
});
