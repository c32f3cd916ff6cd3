// The compressed-size model against sizes recorded from Go's own compress/gzip (Go 1.19.8, the Go that built the
// Docker 20.10 daemon here, default level, as `docker push` compresses a layer) for fixed inputs, and against
// itself: chunking does not matter, parts in flight are bounded. The registry test checks real images.
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CompressedSizer, compressedSizeOf, goDeflateModel } from '../../src/measure/image/compressed-size.js';

/** mulberry32: a small deterministic PRNG, so the inputs (and the sizes Go gives them) are fixed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('the of and to in is that for it as with was on be by this are or from at which an not have but had ' +
  'layer image build stage size docker registry compressed bytes file copy run from install package python node ' +
  'error warning info debug request response status 200 404 500 user id name value true false null').split(' ');

/** Text: words with a skewed frequency, numbers and line breaks, like logs or source. */
function text(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const r = random();
    const part = r < 0.08 ? `${Math.floor(random() * 100000)} ` : r < 0.14 ? '\n' : `${WORDS[Math.floor(random() * random() * WORDS.length)]} `;
    parts.push(part);
    length += part.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

/** Incompressible bytes. */
function noise(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** What a layer tar looks like: runs of text, noise and zeros, one after another. */
function mixed(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const parts: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const size = 512 + Math.floor(random() * 200_000);
    const kind = random();
    const part = kind < 0.5 ? text(size, Math.floor(random() * 1e9)) : kind < 0.8 ? noise(size, Math.floor(random() * 1e9)) : Buffer.alloc(size);
    parts.push(part);
    length += size;
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

/** A tar of many tiny files, as a layer of small files looks: a 512-byte header and a 512-byte block each (ratio about 100:1). */
function smallFiles(count: number): Buffer {
  const records: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const body = `file ${i}\n`;
    const header = Buffer.alloc(512);
    header.write(`app/data/d${i % 50}/file-${i}.txt`, 0);
    header.write('0000644\0' + '0000000\0' + '0000000\0', 100);
    header.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
    header.write((1700000000 + i).toString(8).padStart(11, '0') + '\0', 136);
    header.write('ustar\u000000', 257);
    const content = Buffer.alloc(512);
    content.write(body, 0);
    records.push(header, content);
  }
  return Buffer.concat(records);
}

/** Sizes Go 1.19.8's gzip.NewWriter (level 6 unless said) wrote for the inputs above, recorded with a 20-line Go program. */
const GO = {
  empty: 23,
  a: 25,
  hello: 37, // 'hello, world\n'
  text: 990_428, // text(3 MiB + 123, 1)
  textLevel9: 980_368,
  textLevel4: 1_064_173,
  noise: 2_097_821, // noise(2 MiB + 5, 2)
  mixed: 1_272_572, // mixed(2 MiB, 3)
  smallFiles: 52_052, // smallFiles(3000)
};

const TEXT = text(3 * 1024 * 1024 + 123, 1);
const NOISE = noise(2 * 1024 * 1024 + 5, 2);
const MIXED = mixed(2 * 1024 * 1024, 3);
const SMALL_FILES = smallFiles(3000);

let textSize: Promise<number> | undefined;
/** TEXT measured with the defaults, once. */
function ourTextSize(): Promise<number> {
  textSize ??= compressedSizeOf([TEXT]);
  return textSize;
}

function relative(actual: number, expected: number): number {
  return Math.abs(actual - expected) / expected;
}

async function sizeInChunks(bytes: Buffer, chunkSizes: () => number, options?: ConstructorParameters<typeof CompressedSizer>[0]) {
  const sizer = new CompressedSizer(options);
  for (let offset = 0; offset < bytes.length; ) {
    const n = Math.min(chunkSizes(), bytes.length - offset);
    await sizer.write(bytes.subarray(offset, offset + n));
    offset += n;
  }
  return sizer.end();
}

describe('compressed size matches Go\'s gzip', () => {
  it('empty input: header, an empty final stored block, trailer', async () => {
    expect(await compressedSizeOf([])).toBe(GO.empty);
    // zlib ends with an empty fixed-Huffman block instead: 3 bytes less. We follow Go.
    expect(zlib.gzipSync(Buffer.alloc(0)).length).toBe(GO.empty - 3);
  });

  it('tiny inputs, to the byte', async () => {
    expect(await compressedSizeOf([Buffer.from('a')])).toBe(GO.a);
    expect(await compressedSizeOf([Buffer.from('hello, world\n')])).toBe(GO.hello);
  });

  it('text over several parts, within 0.01%', async () => {
    const sizer = new CompressedSizer();
    await sizer.write(TEXT);
    const size = await sizer.end();
    expect(sizer.stats.blocks).toBe(4);
    expect(size).toBe(await ourTextSize());
    expect(relative(size, GO.text)).toBeLessThan(0.0001);
  });

  it('the part size does not matter: text in 1 part or 49, within 0.01%', async () => {
    const whole = await compressedSizeOf([TEXT], { blockSize: 8 * 1024 * 1024 });
    expect(relative(whole, GO.text)).toBeLessThan(0.0001);
    const small = new CompressedSizer({ blockSize: 64 * 1024 });
    await small.write(TEXT);
    const size = await small.end();
    expect(small.stats.blocks).toBe(49);
    expect(relative(size, GO.text)).toBeLessThan(0.0001);
  });

  it('many small files (ratio 60:1): blocks are cut across parts as Go cuts them, within a few bytes', async () => {
    // Cutting deflate blocks at each part boundary (pigz's way) was 2% off here with 64 KiB parts.
    for (const blockSize of [64 * 1024, 1024 * 1024]) {
      expect(Math.abs((await compressedSizeOf([SMALL_FILES], { blockSize })) - GO.smallFiles)).toBeLessThan(8);
    }
  });

  it('is not zlib: zlib -6 finds 3-byte matches Go never emits, and ends up larger on text', async () => {
    const ours = await ourTextSize();
    const zlibSize = zlib.gzipSync(TEXT, { level: 6 }).length;
    expect(zlibSize).toBeGreaterThan(ours * 1.002);
  });

  it('incompressible data: stored blocks, to the byte', async () => {
    expect(await compressedSizeOf([NOISE])).toBe(GO.noise);
    // zlib stores it too, with its own block lengths: within a few bytes.
    expect(Math.abs(zlib.gzipSync(NOISE).length - GO.noise)).toBeLessThan(16);
  });

  it('a mix of text, noise and zeros, within 0.01%', async () => {
    expect(relative(await compressedSizeOf([MIXED]), GO.mixed)).toBeLessThan(0.0001);
  });

  it('other Go levels', async () => {
    expect(relative(await compressedSizeOf([TEXT], { level: 9 }), GO.textLevel9)).toBeLessThan(0.0001);
    expect(relative(await compressedSizeOf([TEXT], { level: 4 }), GO.textLevel4)).toBeLessThan(0.0001);
  });
});

describe('streaming', () => {
  it('chunk boundaries do not matter', async () => {
    const options = { blockSize: 128 * 1024 };
    const oneChunk = await sizeInChunks(MIXED, () => MIXED.length, options);
    const random = prng(7);
    const ragged = await sizeInChunks(MIXED, () => 1 + Math.floor(random() * random() * 300_000), options);
    const blockSized = await sizeInChunks(MIXED, () => 128 * 1024, options);
    let i = 0;
    const tinyThenHuge = await sizeInChunks(MIXED, () => (i++ < 2000 ? 1 + (i % 3) : MIXED.length), options);
    expect(ragged).toBe(oneChunk);
    expect(blockSized).toBe(oneChunk);
    expect(tinyThenHuge).toBe(oneChunk);
  });

  it('reads a Node stream', async () => {
    const fromStream = await compressedSizeOf(Readable.from([TEXT.subarray(0, 1000), TEXT.subarray(1000)]));
    expect(fromStream).toBe(await ourTextSize());
    await expect(compressedSizeOf(Readable.from(['some text']))).rejects.toThrow(/bytes, not strings/);
  });

  it('back-pressure: never more than `concurrency` parts in flight', async () => {
    for (const concurrency of [1, 2, 3]) {
      const sizer = new CompressedSizer({ blockSize: 64 * 1024, concurrency });
      // One write of 32 parts: it must wait for free slots rather than send them all.
      await sizer.write(MIXED);
      await sizer.end();
      expect(sizer.stats.blocks).toBe(32);
      expect(sizer.stats.maxInFlight).toBe(concurrency);
    }
  });

  it('writes that are not awaited are still taken in order', async () => {
    const sizer = new CompressedSizer({ blockSize: 64 * 1024 });
    const writes = [];
    for (let offset = 0; offset < MIXED.length; offset += 100_000) writes.push(sizer.write(MIXED.subarray(offset, offset + 100_000)));
    await Promise.all(writes);
    expect(await sizer.end()).toBe(await compressedSizeOf([MIXED], { blockSize: 64 * 1024 }));
  });

  it('rejects bad options and misuse with a clear message', async () => {
    expect(() => new CompressedSizer({ level: 1 })).toThrow(/level must be 4 to 9/);
    expect(() => new CompressedSizer({ blockSize: 1000 })).toThrow(/blockSize must be an integer >= 65536/);
    expect(() => new CompressedSizer({ concurrency: 0 })).toThrow(/concurrency must be an integer >= 1/);
    const sizer = new CompressedSizer();
    await sizer.end();
    await expect(sizer.write(Buffer.from('x'))).rejects.toThrow(/write after end/);
  });
});

describe('length-limited Huffman codes (each block\'s trees)', () => {
  const { codeLengths } = goDeflateModel();

  /**
   * The cost of an optimal code with no length over `limit`, by textbook package-merge on weights alone: the
   * cost is the sum of the 2n-2 lightest items of the last list.
   */
  function optimalCost(freqs: number[], limit: number): number {
    const leaves = freqs.filter((f) => f > 0).sort((a, b) => a - b);
    if (leaves.length <= 2) return leaves.reduce((a, b) => a + b, 0);
    let list = [...leaves];
    for (let level = 1; level < limit; level++) {
      const packages: number[] = [];
      for (let i = 0; i + 1 < list.length; i += 2) packages.push(list[i] + list[i + 1]);
      list = [...leaves, ...packages].sort((a, b) => a - b);
    }
    return list.slice(0, 2 * leaves.length - 2).reduce((a, b) => a + b, 0);
  }

  function check(freqs: number[], limit: number): number[] {
    const out = new Uint8Array(freqs.length);
    codeLengths(Int32Array.from(freqs), freqs.length, limit, out);
    const lengths = [...out];
    const used = freqs.filter((f) => f > 0).length;
    lengths.forEach((length, symbol) => expect(length > 0).toBe(freqs[symbol] > 0));
    expect(Math.max(...lengths)).toBeLessThanOrEqual(limit);
    const kraft = lengths.reduce((sum, length) => sum + (length ? 2 ** -length : 0), 0);
    expect(kraft).toBe(used === 1 ? 0.5 : 1);
    expect(lengths.reduce((sum, length, symbol) => sum + length * freqs[symbol], 0)).toBe(optimalCost(freqs, limit));
    return lengths;
  }

  const fibonacci = (n: number): number[] => {
    const out = [1, 1];
    while (out.length < n) out.push(out[out.length - 1] + out[out.length - 2]);
    return out;
  };

  it('a Huffman code deeper than the limit is reshaped to fit, at the least cost', () => {
    // Fibonacci weights make the deepest Huffman codes: 25 symbols would need 24 bits.
    const literals = new Array(286).fill(0);
    fibonacci(25).forEach((f, i) => (literals[i * 11] = f));
    expect(Math.max(...check(literals, 15))).toBe(15);
    const codegen = new Array(19).fill(0);
    fibonacci(12).forEach((f, i) => (codegen[i] = f));
    expect(Math.max(...check(codegen, 7))).toBe(7);
  });

  it('ordinary, equal, single and paired frequencies', () => {
    const random = prng(11);
    for (let round = 0; round < 50; round++) {
      check(Array.from({ length: 286 }, () => (random() < 0.3 ? 0 : Math.floor(random() * random() * 5000))), 15);
      check(Array.from({ length: 19 }, () => (random() < 0.3 ? 0 : Math.floor(random() * 300))), 7);
    }
    check(new Array(30).fill(7), 15);
    expect(check([0, 0, 5, 0], 15)).toEqual([0, 0, 1, 0]);
    expect(check([3, 0, 0, 900], 15)).toEqual([1, 0, 0, 1]);
  });
});
